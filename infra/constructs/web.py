"""Web: the dashboard build (web/dist) in a private bucket behind CloudFront, with /api/v1/* to the API's stage.

One origin for the browser (no CORS); client routes answered with index.html by a viewer-request function, so the
API's own 403/404 answers pass through unchanged. More: docs/deploy.md, "The dashboard".
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

API_PATH = "/api/v1/*"
ASSETS_PATH = "/assets/*"  # Vite's hashed build output
INDEX = "index.html"
LOG_PREFIX = "cloudfront/"
# A path whose last segment has no dot is a client route (/alarms/123): serve the page. Files keep their path, so a
# missing asset is S3's 403, never the page; /api/* is another behaviour and never reaches this function.
SPA_ROUTE_FUNCTION = """function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) { request.uri = '/index.html'; }
  return request;
}"""
TIANDITU_TILES = "https://*.tianditu.gov.cn"  # the optional online map background (web/src/utils/tiles.ts)


def content_security_policy(photo_origin: str) -> str:
    """What the dashboard loads: its own scripts; inline styles (Element Plus, ECharts); images from itself, data/blob
    URLs (charts, photos fetched with the token), presigned photo URLs and 天地图 tiles; calls to itself and S3."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob: {photo_origin} {TIANDITU_TILES}",
            "font-src 'self' data:",
            f"connect-src 'self' {photo_origin}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class Web(Construct):
    """Private site bucket (OAC) + distribution: default behaviour the site, `/api/v1/*` the REST API, no caching."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rest_api: apigw.RestApi,
        photos: s3.IBucket,
        access_logs_bucket: s3.IBucket,
        site_directory: Path | None,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Site",
            encryption=s3.BucketEncryption.S3_MANAGED,  # OAC reads SSE-S3 without a KMS key policy
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix="web/",
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-replaced-versions", noncurrent_version_expiration=Duration.days(30))
            ],
        )
        self.spa_routes = cloudfront.Function(
            self,
            "SpaRoutes",
            code=cloudfront.FunctionCode.from_inline(SPA_ROUTE_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="client routes of the dashboard -> /index.html",
        )
        photo_origin = f"https://{photos.bucket_regional_domain_name}"
        security = cloudfront.ResponseSecurityHeadersBehavior(
            content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=content_security_policy(photo_origin), override=True
            ),
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=Duration.days(365), include_subdomains=True, override=True
            ),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override=True
            ),
        )

        def headers(construct_id: str, comment: str, cache_control: str | None) -> cloudfront.ResponseHeadersPolicy:
            custom = None
            if cache_control:  # what browsers keep, as the local server answers (docs/web.md)
                custom = cloudfront.ResponseCustomHeadersBehavior(
                    custom_headers=[
                        cloudfront.ResponseCustomHeader(header="Cache-Control", value=cache_control, override=True)
                    ]
                )
            return cloudfront.ResponseHeadersPolicy(
                self, construct_id, comment=comment, security_headers_behavior=security, custom_headers_behavior=custom
            )

        # The page and client routes: revalidated on every visit, so a deploy shows at the next load.
        self.headers = headers("SecurityHeaders", "dashboard page: CSP, HSTS, frame deny, no-cache", "no-cache")
        # Vite's content-hashed files never change under one name.
        self.asset_headers = headers(
            "AssetHeaders", "dashboard assets: CSP, HSTS, frame deny, immutable", "public, max-age=31536000, immutable"
        )
        # The API sets its own caching (none): headers only.
        self.api_headers = headers("ApiHeaders", "API through the dashboard origin: security headers only", None)
        site = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        api_behavior = cloudfront.BehaviorOptions(
            origin=origins.RestApiOrigin(rest_api),  # origin path = the stage, so /api/v1/x -> /<stage>/api/v1/x
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,  # answers depend on the caller's token
            # every header but Host (API Gateway routes by its own host name); Authorization goes with it
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=self.api_headers,
        )
        assets = cloudfront.BehaviorOptions(
            origin=site,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            response_headers_policy=self.asset_headers,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="工况用电监控平台 dashboard",
            default_root_object=INDEX,
            default_behavior=cloudfront.BehaviorOptions(
                origin=site,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=self.spa_routes, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={API_PATH: api_behavior, ASSETS_PATH: assets},
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_200,  # the viewers are in China: Asian edges are in it
            enable_logging=True,
            log_bucket=access_logs_bucket,
            log_file_prefix=LOG_PREFIX,
        )
        self.deployment: s3deploy.BucketDeployment | None = None
        if site_directory is not None:
            self.deployment = s3deploy.BucketDeployment(
                self,
                "Deploy",
                sources=[s3deploy.Source.asset(str(site_directory))],
                destination_bucket=self.bucket,
                distribution=self.distribution,  # invalidates /* after each upload
                prune=True,
                exclude=[".build-stamp"],
                memory_limit=512,
            )
