"""Api: the Chalice app (miniprogram_api/) on API Gateway + Lambda, its WAF, secrets and photo bucket.

More: docs/deploy.md, "The HTTP API" (why this is not chalice.cdk.Chalice, the secrets, the WAF limit, and a stage
without the WAF: "Fixed floor at 1,500 terminals").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.constructs.functions import ARCHITECTURES, RUNTIME, BuildSources, code_excludes, dependency_layer
from infra.constructs.secrets import StoredSecret
from infra.secret_parameters import SecretParameters

HANDLER = "miniprogram_api.lambda_proxy.handler"  # the Chalice app behind API Gateway's proxy resource
CODE_PACKAGES = ("miniprogram_api", "monitoring", "hj212", "data")
# Where miniprogram_api/chalicelib/wiring.py finds each secret (API_<FIELD>_SOURCE) and the SSM form of a source.
TOKEN_KEY_SOURCE = "API_TOKEN_KEY_SOURCE"
WECHAT_SECRET_SOURCE = "API_WECHAT_SECRET_SOURCE"
# The photo store's key prefixes (monitoring/storage/photo_blobs/s3.py): kept photos, unchecked direct uploads.
PHOTO_PREFIX = "photos/"
INCOMING_PREFIX = "incoming/"
# API Gateway passes these request bodies base64-encoded and returns these answers as bytes; the list is the
# app's `app.api.binary_types` (tests/infra/test_api.py keeps the two equal).
BINARY_MEDIA_TYPES = (
    "application/octet-stream",
    "application/x-tar",
    "application/zip",
    "audio/basic",
    "audio/ogg",
    "audio/mp4",
    "audio/mpeg",
    "audio/wav",
    "audio/webm",
    "image/png",
    "image/jpg",
    "image/jpeg",
    "image/gif",
    "video/ogg",
    "video/mpeg",
    "video/webm",
    "image/webp",
    "multipart/form-data",  # photo uploads as wx.uploadFile sends them
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",  # XLSX reports
)
# Answers API Gateway gives itself, in the API's error shape {code, message, field} (docs/api.md "Errors").
GATEWAY_ERRORS = {
    "THROTTLED": ("429", "rate_limited", "请求过于频繁，请稍后再试"),
    "REQUEST_TOO_LARGE": ("413", "payload_too_large", "请求体过大"),
    "WAF_FILTERED": ("403", "forbidden", "请求被拒绝"),
    "DEFAULT_4_XX": (None, "bad_request", "请求无法处理"),
    "DEFAULT_5_XX": (None, "unavailable", "服务暂时不可用，请稍后再试"),
}
RATE_LIMITED_BODY = "rate_limited"
CORS_HEADERS = ("Authorization", "Content-Type", "If-Match", "X-Request-Id")
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def error_body(code: str, message: str) -> str:
    return json.dumps({"code": code, "message": message, "field": None}, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """Per-address WAF limit (when `waf`), stage throttling, and the function's size."""

    waf_rate_limit: int  # requests per source address per waf_window seconds
    waf_window: int
    throttle_rate: int  # steady requests per second, whole stage
    throttle_burst: int
    memory_mib: int
    timeout: Duration
    waf: bool = True  # False: no web ACL; the stage's throttling and the app's login limits remain


class Api(Construct):
    """REST API (regional, `ANY /{proxy+}`) → one arm64 function; WAF rate rule, access logs, secrets, photos."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_directory: str,
        shared_layer: lambda_.ILayerVersion,
        requirements: Sequence[str],
        constraints_file: str,
        build: BuildSources,
        environment: Mapping[str, str],
        limits: ApiLimits,
        stage_name: str,
        cors_origin: str,
        wechat_secret_parameter: str,
        notify_channels: StoredSecret | None = None,
        secret_parameters: SecretParameters | None = None,
        photo_incoming_days: int,
        access_logs_bucket: s3.IBucket,
        removal_policy: RemovalPolicy,
        log_retention: logs.RetentionDays,
        log_level: str,
        cloudwatch_role: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.photos = self._photo_bucket(access_logs_bucket, cors_origin, photo_incoming_days, removal_policy)
        token, wechat = self._secrets(removal_policy, wechat_secret_parameter, secret_parameters)
        self.token_key, self.wechat_secret = token.secret, wechat.secret  # None where kept in SSM
        self.token_key_source, self.wechat_secret_source = token, wechat
        self.environment = {
            **environment,
            TOKEN_KEY_SOURCE: token.source,
            WECHAT_SECRET_SOURCE: wechat.source,
            "API_CORS_ORIGIN": cors_origin,
            # monitoring/storage/photo_blobs/s3.py: presigned GETs and direct uploads, SigV4 in the stack's region
            "API_PHOTO_STORE": "s3",
            "API_PHOTO_BUCKET": self.photos.bucket_name,
            "API_PHOTO_REGION": Stack.of(self).region,
        }
        if notify_channels is not None:  # SMS login codes go through the notify SMS providers
            self.environment |= {"API_SMS_SENDER": "provider", "API_SMS_CHANNELS_SECRET": notify_channels.source}

        self.log_group = logs.LogGroup(self, "FunctionLogs", retention=log_retention, removal_policy=removal_policy)
        # Own role: its log group, its secrets, its photo prefixes; the stack adds the table grants.
        self.role = iam.Role(self, "FunctionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.log_group.grant_write(self.role)
        for stored in (token, wechat, *([notify_channels] if notify_channels else [])):
            stored.grant_read(self, self.role)
        self._grant_photos()
        # Chalice's own dependencies are its CLI's; the runtime imports chalice.app and chalice.local (+ six).
        self.layer = dependency_layer(
            self,
            "Dependencies",
            requirements=requirements,
            constraints_file=constraints_file,
            build=build,
            description="the API's own dependencies (chalice runtime, Pillow) on top of the shared layer",
            no_deps=True,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURES[build.architecture],
            handler=HANDLER,
            code=lambda_.Code.from_asset(source_directory, exclude=code_excludes(CODE_PACKAGES)),
            layers=[shared_layer, self.layer],
            environment=self.environment,
            memory_size=limits.memory_mib,
            timeout=limits.timeout,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=getattr(
                lambda_.ApplicationLogLevel, "WARN" if log_level == "WARNING" else log_level
            ),
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
        )
        self.function.node.add_dependency(self.role)
        self.rest_api = self._rest_api(stage_name, limits, cors_origin, log_retention, removal_policy, cloudwatch_role)
        self.stage = self.rest_api.deployment_stage
        self.web_acl: wafv2.CfnWebACL | None = None
        if limits.waf:
            self.web_acl = self._web_acl(limits)
            association = wafv2.CfnWebACLAssociation(
                self, "WebAclAssociation", resource_arn=self.stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
            )
            association.node.add_dependency(self.stage)  # the stage ARN is assembled from names, not a reference

    def _secrets(
        self, removal_policy: RemovalPolicy, wechat_parameter: str, parameters: SecretParameters | None
    ) -> tuple[StoredSecret, StoredSecret]:
        """The token key and the WeChat AppSecret: SSM SecureStrings the operator put (`parameters`), or secrets of
        the stack (a generated key; a placeholder until the operator stores the AppSecret, docs/deploy.md), the
        WeChat one optionally in SSM alone (`api_wechat_secret_parameter`)."""
        if parameters is not None:
            return StoredSecret(parameter=parameters.token_key), StoredSecret(parameter=parameters.wechat_secret)
        token = secretsmanager.Secret(
            self,
            "TokenKey",
            description="HS256 key signing the API's access tokens (generated; rotating it signs everyone out)",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=removal_policy,
        )
        if wechat_parameter:
            return StoredSecret(token), StoredSecret(parameter=wechat_parameter)
        wechat = secretsmanager.Secret(
            self,
            "WechatSecret",
            description="WeChat mini-program AppSecret (jscode2session); set it with put-secret-value",
            secret_string_value=SecretValue.unsafe_plain_text("set-me: aws secretsmanager put-secret-value"),
            removal_policy=removal_policy,
        )
        return StoredSecret(token), StoredSecret(wechat)

    def _photo_bucket(
        self, access_logs: s3.IBucket, cors_origin: str, incoming_days: int, removal_policy: RemovalPolicy
    ) -> s3.Bucket:
        cors = []
        if cors_origin:  # the dashboard posts direct uploads (presigned POST) and reads presigned GETs
            cors.append(
                s3.CorsRule(
                    allowed_origins=[cors_origin],
                    allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.GET],
                    allowed_headers=["*"],
                    max_age=3600,
                )
            )
        return s3.Bucket(
            self,
            "Photos",
            encryption=s3.BucketEncryption.S3_MANAGED,  # presigned URLs need no KMS grant for their holder
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,  # photos are evidence of a response or a verification: an overwrite or delete is undone
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="photos/",
            removal_policy=removal_policy,
            cors=cors or None,
            lifecycle_rules=[
                # A direct upload not confirmed (or not deletable after its check) is never a kept photo.
                s3.LifecycleRule(
                    id="expire-unconfirmed-uploads", prefix=INCOMING_PREFIX, expiration=Duration.days(incoming_days)
                ),
                s3.LifecycleRule(id="expire-replaced-versions", noncurrent_version_expiration=Duration.days(90)),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
            ],
        )

    def read_archive(self, bucket: s3.IBucket, key: kms.IKey, prefixes: Sequence[str]) -> None:
        """Evidence packages read the raw archive (monitoring/evidence/delivered.py): GetObject of delivered objects
        and manifests by the keys the chain's links name, decrypted through S3 only; no listing, no version reads."""
        self.function.add_environment("API_ARCHIVE_BUCKET", bucket.bucket_name)
        self.function.add_environment("API_ARCHIVE_REGION", Stack.of(self).region)
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{p}*") for p in prefixes])
        )
        stack = Stack.of(self)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}"}},
            )
        )

    def _grant_photos(self) -> None:
        """Read, write and delete under the two prefixes only; list them so a missing key answers 404, not 403."""
        prefixes = (PHOTO_PREFIX, INCOMING_PREFIX)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[self.photos.arn_for_objects(f"{p}*") for p in prefixes],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.photos.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
            )
        )

    def _rest_api(
        self,
        stage_name: str,
        limits: ApiLimits,
        cors_origin: str,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        cloudwatch_role: bool,
    ) -> apigw.LambdaRestApi:
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention, removal_policy=removal_policy)
        preflight = None
        if cors_origin:
            preflight = apigw.CorsOptions(
                allow_origins=[cors_origin],
                allow_methods=list(CORS_METHODS),
                allow_headers=list(CORS_HEADERS),
                max_age=Duration.hours(1),
            )
        api = apigw.LambdaRestApi(
            self,
            "RestApi",
            handler=self.function,
            proxy=True,  # ANY / and ANY /{proxy+}: the app routes (miniprogram_api/lambda_proxy.py)
            rest_api_name=f"{Stack.of(self).stack_name}-api",
            description="工况用电监控平台 API (miniprogram_api)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            binary_media_types=list(BINARY_MEDIA_TYPES),
            cloud_watch_role=cloudwatch_role,
            default_cors_preflight_options=preflight,
            deploy_options=apigw.StageOptions(
                stage_name=stage_name,
                throttling_rate_limit=limits.throttle_rate,
                throttling_burst_limit=limits.throttle_burst,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies carry passwords and photos
                metrics_enabled=True,
            ),
        )
        for kind, (status, code, message) in GATEWAY_ERRORS.items():
            headers = {"Access-Control-Allow-Origin": f"'{cors_origin}'"} if cors_origin else None
            api.add_gateway_response(
                f"{kind.title().replace('_', '')}Response",
                type=getattr(apigw.ResponseType, kind),
                status_code=status,
                response_headers=headers,
                templates={"application/json": error_body(code, message)},
            )
        return api

    def _web_acl(self, limits: ApiLimits) -> wafv2.CfnWebACL:
        """Allow by default; block a source address past its rate, answering 429 in the API's error shape."""
        metric = f"{Stack.of(self).stack_name}-api"

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            )

        rate_rule = wafv2.CfnWebACL.RuleProperty(
            name="rate-per-address",
            priority=0,
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP", limit=limits.waf_rate_limit, evaluation_window_sec=limits.waf_window
                )
            ),
            action=wafv2.CfnWebACL.RuleActionProperty(
                block=wafv2.CfnWebACL.BlockActionProperty(
                    custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                        response_code=429, custom_response_body_key=RATE_LIMITED_BODY
                    )
                )
            ),
            visibility_config=visibility(f"{metric}-rate"),
        )
        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=[rate_rule],
            custom_response_bodies={
                RATE_LIMITED_BODY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=error_body("rate_limited", "请求过于频繁，请稍后再试")
                )
            },
            visibility_config=visibility(metric),
        )
