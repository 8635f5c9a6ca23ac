"""The HTTP API in the template: arm64 proxy function, WAF rate rule on the stage, throttling, access logs with
retention, secrets referenced (never in the environment), least-privilege grants, the photo bucket, CORS."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

import monitoring.storage.dynamodb.schema as schema
from infra.app import source_layout
from infra.constructs.api import BINARY_MEDIA_TYPES, HANDLER, INCOMING_PREFIX, PHOTO_PREFIX
from infra.settings import StageSettings, load_stages
from infra.stacks.platform import API_DATA_ACCESS
from tests.infra.conftest import REUSE_API, Synthesized
from tests.infra.test_functions import ROOT, _closure, _code_dir, _module_file

pytestmark = pytest.mark.infra
STAGES = ("dev", "prod", "reuse")
READ_ONLY_DYNAMODB = {
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:Scan",
}


def _stage(name: str) -> StageSettings:
    from infra.app import file_context

    context = file_context()
    context["stages"] = {**context["stages"], "reuse": REUSE_API}
    return {s.name: s for s in load_stages(context)}[name]


def _api_function(synthesized: Synthesized, stage: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, r["Properties"])
        for k, r in synthesized.resources(stage, "AWS::Lambda::Function").items()
        if r["Properties"]["Handler"] == HANDLER
    ]
    return found


def _role_statements(synthesized: Synthesized, stage: str, role_logical: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synthesized.properties(stage, "AWS::IAM::Policy")
        if {"Ref": role_logical} in policy["Roles"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _logical_of_table(synthesized: Synthesized, stage: str, table: str) -> str:
    prefix = _stage(stage).tables_prefix
    (logical,) = [
        k
        for k, p in (
            (k, r["Properties"]) for k, r in synthesized.resources(stage, "AWS::DynamoDB::GlobalTable").items()
        )
        if p["TableName"] == schema.TABLE_NAME_FORMAT.format(prefix=prefix, table=table)
    ]
    return logical


def _referenced_logical(resource: Any) -> str:
    """The logical id a statement resource points at: {"Fn::GetAtt": [X, "Arn"]} or a Join starting with it."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    if isinstance(resource, dict) and "Ref" in resource:
        return str(resource["Ref"])
    parts = resource["Fn::Join"][1]
    return _referenced_logical(parts[0])


@pytest.mark.parametrize("stage", STAGES)
def test_api_function_runs_the_proxy_entry_on_arm64_with_both_layers(synthesized: Synthesized, stage: str) -> None:
    _, props = _api_function(synthesized, stage)
    assert props["Architectures"] == ["arm64"] and props["Runtime"] == "python3.11"
    layers = synthesized.resources(stage, "AWS::Lambda::LayerVersion")
    used = [layer["Ref"] for layer in props["Layers"]]
    assert len(used) == 2 and set(used) <= set(layers)
    (decode,) = [
        p
        for p in synthesized.properties(stage, "AWS::Lambda::Function")
        if p["Handler"].endswith("on_frame_batch.handler")
    ]
    assert decode["Layers"][0] in props["Layers"]  # the shared runtime layer, and the API's own
    assert props["Timeout"] <= 29 and props["MemorySize"] == _stage(stage).api_memory_mib
    assert props["LoggingConfig"]["LogFormat"] == "JSON"


def test_handler_is_a_function_and_the_code_asset_holds_everything_it_imports(synthesized: Synthesized) -> None:
    _, props = _api_function(synthesized, "dev")
    module, _, attribute = props["Handler"].rpartition(".")
    path = _module_file(ROOT, module)
    assert path is not None
    assert attribute in {
        n.name for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.FunctionDef)
    }
    asset = _code_dir(synthesized, props)
    in_repo, _ = _closure_api(ROOT, module)
    in_asset, _ = _closure_api(asset, module)
    assert module in in_asset and in_repo == in_asset, f"missing from the asset: {sorted(in_repo - in_asset)}"
    assert (asset / "data" / "profiles").is_dir() and (asset / "data" / "rules_defaults.json").is_file()
    for absent in ("tests", "infra", "functions", "iot_ingest", "local", ".venv"):
        assert not (asset / absent).exists(), absent


def _closure_api(root: Path, module: str) -> tuple[set[str], set[str]]:
    """`_closure` from the handler and from every module of miniprogram_api/ (route modules are found at run time
    by name, which no import statement shows)."""
    from tests.infra import test_functions

    package = root / "miniprogram_api"
    seeds = [module] + [
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted(package.rglob("*.py"))
    ]
    saved = test_functions.OURS
    test_functions.OURS = ("miniprogram_api", "monitoring", "hj212")
    try:
        modules: set[str] = set()
        third_party: set[str] = set()
        for seed in seeds:
            found, imported = _closure(root, seed)
            modules |= found
            third_party |= imported
        return modules, third_party
    finally:
        test_functions.OURS = saved


def _requirement_name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower().replace("_", "-")  # type: ignore[union-attr]


def test_third_party_imports_of_the_api_come_from_its_two_layers() -> None:
    layout = source_layout()
    provided: set[str] = set()
    todo = [_requirement_name(r.split(";")[0]) for r in layout.requirements]  # the shared layer: with dependencies
    while todo:
        dist = todo.pop()
        if dist not in provided:
            provided.add(dist)
            for r in metadata.requires(dist) or []:  # markers count: aiohttp's async-timeout is for Python < 3.11
                parsed = Requirement(r)
                if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                    todo.append(_requirement_name(r))
    provided |= {_requirement_name(r) for r in layout.api_requirements}  # the API layer: exactly these
    top_to_dist = metadata.packages_distributions()
    _, third_party = _closure_api(ROOT, HANDLER.rpartition(".")[0])
    assert {"chalice", "PIL", "jwt", "argon2", "pydantic"} <= third_party
    for top in third_party:
        dists = {d.lower().replace("_", "-") for d in top_to_dist.get(top, [])}
        assert dists & provided, f"{top} is imported by the API but in neither layer"


def test_api_layer_pins_come_from_the_lock() -> None:
    lock = dict(
        line.split("==", 1) for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").split() if "==" in line
    )
    for requirement in source_layout().api_requirements:
        name, _, version = requirement.partition("==")
        assert lock[name.lower()] == version, requirement


def test_chalice_runtime_imports_with_six_alone(tmp_path: Path) -> None:
    # Given only chalice and six on the path (the API layer is installed --no-deps), When the modules the Lambda
    # entry uses are imported in an isolated interpreter, Then nothing else is needed
    for dist in ("chalice", "six"):
        for file in metadata.files(dist) or []:
            source = Path(str(file.locate()))
            if source.suffix == ".py" and ".dist-info" not in str(file):
                target = tmp_path / str(file)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import chalice.app, chalice.local; print('ok')"
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


@pytest.mark.parametrize("stage", STAGES)
def test_waf_rate_rule_blocks_per_address_and_is_attached_to_the_api_stage(
    synthesized: Synthesized, stage: str
) -> None:
    settings = _stage(stage)
    (acl_id,) = synthesized.resources(stage, "AWS::WAFv2::WebACL")
    acl = synthesized.resources(stage, "AWS::WAFv2::WebACL")[acl_id]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    (rule,) = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP"
    assert rate["Limit"] == settings.api_waf_rate_limit and rate["EvaluationWindowSec"] == settings.api_waf_window
    block = rule["Action"]["Block"]["CustomResponse"]
    assert block["ResponseCode"] == 429
    body = json.loads(acl["CustomResponseBodies"][block["CustomResponseBodyKey"]]["Content"])
    assert body["code"] == "rate_limited" and body["field"] is None
    (association,) = synthesized.properties(stage, "AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (stage_id,) = synthesized.resources(stage, "AWS::ApiGateway::Stage")
    (api_id,) = synthesized.resources(stage, "AWS::ApiGateway::RestApi")
    arn_parts = association["ResourceArn"]["Fn::Join"][1]
    assert {"Ref": stage_id} in arn_parts and {"Ref": api_id} in arn_parts and "/stages/" in arn_parts


@pytest.mark.parametrize("stage", STAGES)
def test_stage_is_throttled_and_logs_access_with_retention(synthesized: Synthesized, stage: str) -> None:
    settings = _stage(stage)
    (props,) = synthesized.properties(stage, "AWS::ApiGateway::Stage")
    (everything,) = [m for m in props["MethodSettings"] if m["HttpMethod"] == "*" and m["ResourcePath"] == "/*"]
    assert everything["ThrottlingRateLimit"] == settings.api_throttle_rate
    assert everything["ThrottlingBurstLimit"] == settings.api_throttle_burst
    assert everything["LoggingLevel"] == "ERROR" and everything["DataTraceEnabled"] is False
    log_group = props["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    groups = synthesized.resources(stage, "AWS::Logs::LogGroup")
    assert groups[log_group]["Properties"]["RetentionInDays"] == settings.log_retention_days
    access_format = json.loads(props["AccessLogSetting"]["Format"])
    assert {"ip", "status", "requestTime", "resourcePath"} <= set(access_format)
    _, function = _api_function(synthesized, stage)
    assert groups[function["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]["RetentionInDays"] == (
        settings.log_retention_days
    )


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_is_one_regional_proxy_onto_the_function(synthesized: Synthesized, stage: str) -> None:
    function_id, _ = _api_function(synthesized, stage)
    (api,) = synthesized.properties(stage, "AWS::ApiGateway::RestApi")
    assert api["EndpointConfiguration"]["Types"] == ["REGIONAL"]
    (proxy,) = [r for r in synthesized.properties(stage, "AWS::ApiGateway::Resource") if r["PathPart"] == "{proxy+}"]
    assert proxy["ParentId"]["Fn::GetAtt"][1] == "RootResourceId"
    anys = [m for m in synthesized.properties(stage, "AWS::ApiGateway::Method") if m["HttpMethod"] == "ANY"]
    assert len(anys) == 2  # / and /{proxy+}
    for method in anys:
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert {"Fn::GetAtt": [function_id, "Arn"]} in method["Integration"]["Uri"]["Fn::Join"][1]


def test_binary_media_types_are_the_apps() -> None:
    # API Gateway base64-encodes exactly what the app treats as bytes; a type the app adds must be listed too
    from miniprogram_api.app import app

    assert set(BINARY_MEDIA_TYPES) == set(app.api.binary_types)


def test_gateway_answers_of_its_own_use_the_api_error_shape(synthesized: Synthesized) -> None:
    responses = {r["ResponseType"]: r for r in synthesized.properties("dev", "AWS::ApiGateway::GatewayResponse")}
    assert {"THROTTLED", "REQUEST_TOO_LARGE", "WAF_FILTERED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    assert responses["THROTTLED"]["StatusCode"] == "429"
    for response in responses.values():
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body) == {"code", "message", "field"} and re.search(r"[\u4e00-\u9fff]", body["message"])


@pytest.mark.parametrize("stage", STAGES)
def test_secrets_are_read_at_cold_start_never_placed_in_the_environment(synthesized: Synthesized, stage: str) -> None:
    from miniprogram_api.chalicelib.wiring import SECRET_FIELDS

    function_id, props = _api_function(synthesized, stage)
    env = props["Environment"]["Variables"]
    for field in SECRET_FIELDS:
        assert f"API_{field.upper()}" not in env  # the value itself never
    secrets = synthesized.resources(stage, "AWS::SecretsManager::Secret")
    token = env["API_TOKEN_KEY_SOURCE"]["Ref"]
    assert secrets[token]["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    role = props["Role"]["Fn::GetAtt"][0]
    reads = [
        s
        for s in _role_statements(synthesized, stage, role)
        if "secretsmanager:GetSecretValue" in _as_list(s["Action"])
    ]
    read_ids = {r["Ref"] for s in reads for r in _as_list(s["Resource"])}
    wechat = env["API_WECHAT_SECRET_SOURCE"]
    # SMS login codes go through the notify providers: the API reads the notify channels secret too.
    assert env["API_SMS_SENDER"] == "provider"
    channels = env["API_SMS_CHANNELS_SECRET"]["Ref"]
    assert channels.startswith("NotifyChannels") and channels in set(secrets)
    if stage == "reuse":  # kept in SSM: readable by name, that one parameter only
        assert wechat == "ssm:" + REUSE_API["api_wechat_secret_parameter"]
        assert read_ids == {token, channels} and token in set(secrets)
        (ssm,) = [s for s in _role_statements(synthesized, stage, role) if "ssm:GetParameter" in _as_list(s["Action"])]
        assert _as_list(ssm["Action"]) == ["ssm:GetParameter"]
        arn = "".join(p if isinstance(p, str) else "" for p in ssm["Resource"]["Fn::Join"][1])
        assert arn.endswith(":parameter" + REUSE_API["api_wechat_secret_parameter"])
    else:
        assert read_ids == {token, wechat["Ref"], channels} and {token, wechat["Ref"]} <= set(secrets)


@pytest.mark.parametrize("stage", STAGES)
def test_api_environment_holds_only_settings_the_api_reads(synthesized: Synthesized, stage: str) -> None:
    from miniprogram_api.chalicelib.settings import ENV_PREFIX, ApiSettings

    _, props = _api_function(synthesized, stage)
    env = props["Environment"]["Variables"]
    for name in env:
        assert name.startswith(ENV_PREFIX) and name[len(ENV_PREFIX) :].lower() in ApiSettings.model_fields, name
    assert env["API_STORE_BACKEND"] == "dynamodb"
    assert env["API_DYNAMODB_TABLE_PREFIX"] == _stage(stage).tables_prefix
    assert env["API_CORS_ORIGIN"] == _stage(stage).api_cors_origin
    (bucket,) = [k for k in synthesized.resources(stage, "AWS::S3::Bucket") if k.startswith("ApiPhotos")]
    assert (env["API_PHOTO_STORE"], env["API_PHOTO_BUCKET"]) == ("s3", {"Ref": bucket})
    assert env["API_PHOTO_REGION"] == {"Ref": "AWS::Region"}
    (archive,) = [k for k in synthesized.resources(stage, "AWS::S3::Bucket") if k.startswith("StreamArchive")]
    assert (env["API_ARCHIVE_BUCKET"], env["API_ARCHIVE_REGION"]) == ({"Ref": archive}, {"Ref": "AWS::Region"})


@pytest.mark.parametrize("stage", STAGES)
def test_api_role_reaches_exactly_its_tables_and_photo_prefixes(synthesized: Synthesized, stage: str) -> None:
    _, props = _api_function(synthesized, stage)
    role = props["Role"]["Fn::GetAtt"][0]
    statements = _role_statements(synthesized, stage, role)
    tables = {t: _logical_of_table(synthesized, stage, t) for t in schema.TABLES_BY_NAME}
    buckets = synthesized.resources(stage, "AWS::S3::Bucket")
    (bucket,) = [k for k in buckets if k.startswith("ApiPhotos")]
    (archive,) = [k for k in buckets if k.startswith("StreamArchive")]
    writable: set[str] = set()
    readable: set[str] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = set(_as_list(statement["Action"]))
        for resource in _as_list(statement["Resource"]):
            assert resource != "*", statement
            if all(a.startswith("dynamodb:") for a in actions):
                target = _referenced_logical(resource)
                (readable if actions <= READ_ONLY_DYNAMODB else writable).add(target)
            elif any(a.startswith("s3:") for a in actions):
                assert _referenced_logical(resource) in {bucket, archive}
    granted = {name for name, logical in tables.items() if logical in readable | writable}
    assert granted == set(API_DATA_ACCESS["read"]) | set(API_DATA_ACCESS["read_write"])
    assert {n for n, logical in tables.items() if logical in writable} == set(API_DATA_ACCESS["read_write"])
    assert schema.ARCHIVE not in API_DATA_ACCESS["read_write"]  # the frame archive is evidence: read only
    s3_statements = [s for s in statements if any(a.startswith("s3:") for a in _as_list(s["Action"]))]
    # the raw archive: evidence exports get the objects and manifests the chain's links name; nothing else
    (evidence,) = [s for s in s3_statements if _referenced_logical(_as_list(s["Resource"])[0]) == archive]
    assert _as_list(evidence["Action"]) == ["s3:GetObject"]
    assert {r["Fn::Join"][1][-1] for r in _as_list(evidence["Resource"])} == {"/raw/*", "/manifests/*"}
    (decrypt,) = [s for s in statements if any(a.startswith("kms:") for a in _as_list(s["Action"]))]
    assert _as_list(decrypt["Action"]) == ["kms:Decrypt"] and "kms:ViaService" in decrypt["Condition"]["StringEquals"]
    s3_statements.remove(evidence)
    objects = [s for s in s3_statements if "s3:ListBucket" not in _as_list(s["Action"])]
    (listing,) = [s for s in s3_statements if "s3:ListBucket" in _as_list(s["Action"])]
    assert all(set(_as_list(s["Action"])) <= {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} for s in objects)
    suffixes = {r["Fn::Join"][1][-1] for s in objects for r in _as_list(s["Resource"])}
    assert suffixes == {f"/{PHOTO_PREFIX}*", f"/{INCOMING_PREFIX}*"}
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{PHOTO_PREFIX}*", f"{INCOMING_PREFIX}*"]}}


@pytest.mark.parametrize("stage", STAGES)
def test_photo_bucket_is_private_encrypted_logged_and_expires_unconfirmed_uploads(
    synthesized: Synthesized, stage: str
) -> None:
    settings = _stage(stage)
    (props,) = [
        r["Properties"] for k, r in synthesized.resources(stage, "AWS::S3::Bucket").items() if k.startswith("ApiPhotos")
    ]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert props["LoggingConfiguration"]["DestinationBucketName"]
    (incoming,) = [r for r in props["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == INCOMING_PREFIX]
    assert incoming["ExpirationInDays"] == settings.api_photo_incoming_days
    assert not any(
        r.get("Prefix") == PHOTO_PREFIX and "ExpirationInDays" in r for r in props["LifecycleConfiguration"]["Rules"]
    )
    if settings.api_cors_origin:
        (rule,) = props["CorsConfiguration"]["CorsRules"]
        assert rule["AllowedOrigins"] == [settings.api_cors_origin] and set(rule["AllowedMethods"]) == {"GET", "POST"}
    else:
        assert "CorsConfiguration" not in props


def test_cors_preflight_only_where_a_dashboard_origin_is_set(synthesized: Synthesized) -> None:
    origin = REUSE_API["api_cors_origin"]
    options = [m for m in synthesized.properties("reuse", "AWS::ApiGateway::Method") if m["HttpMethod"] == "OPTIONS"]
    assert len(options) == 2  # / and /{proxy+}
    for method in options:
        headers = method["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{origin}'"
    assert not [m for m in synthesized.properties("dev", "AWS::ApiGateway::Method") if m["HttpMethod"] == "OPTIONS"]


def test_outputs_name_the_api_url_and_where_to_store_the_wechat_secret(synthesized: Synthesized) -> None:
    outputs = synthesized.templates["dev"]["Outputs"]
    assert {"ApiUrl", "ApiWechatSecret", "ApiTokenKeySecret", "PhotoBucket", "ApiWebAcl"} <= set(outputs)
    assert outputs["ApiUrl"]["Value"]["Fn::Join"][1][-1].endswith("/api/v1/")


def test_photo_prefixes_are_the_ones_the_photo_store_writes() -> None:
    # The grants and the lifecycle rule name prefixes; the S3 photo store must use the same ones
    from monitoring.storage.photo_blobs.s3 import S3PhotoBlobs

    blobs = S3PhotoBlobs(client=None, bucket="photos")
    assert (blobs.prefix, blobs.incoming) == (PHOTO_PREFIX, INCOMING_PREFIX)


def test_api_function_errors_and_throttles_raise_alarms(synthesized: Synthesized) -> None:
    function_id, _ = _api_function(synthesized, "dev")
    alarmed = {
        a["MetricName"]
        for a in synthesized.properties("dev", "AWS::CloudWatch::Alarm")
        if {"Name": "FunctionName", "Value": {"Ref": function_id}} in a.get("Dimensions", [])
    }
    assert alarmed == {"Errors", "Throttles"}


@pytest.mark.parametrize("stage", ["county", "county-ec2"])
def test_without_waf_the_stage_is_still_throttled_and_the_choice_acknowledged(
    synthesized: Synthesized, stage: str
) -> None:
    settings = _stage(stage)
    assert not settings.api_waf
    for kind in ("AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation"):
        assert synthesized.resources(stage, kind) == {}
    assert "ApiWebAcl" not in synthesized.templates[stage]["Outputs"]
    (props,) = synthesized.properties(stage, "AWS::ApiGateway::Stage")
    (everything,) = [m for m in props["MethodSettings"] if m["HttpMethod"] == "*" and m["ResourcePath"] == "/*"]
    assert (everything["ThrottlingRateLimit"], everything["ThrottlingBurstLimit"]) == (
        settings.api_throttle_rate,
        settings.api_throttle_burst,
    )
    # cdk-nag's "stage without a web ACL" is acknowledged on this stage's API stage, with the trade-off as reason
    from infra import nag

    acks = {(path, reason) for rule, path, reason in nag.RECORDED if rule == "AwsSolutions-APIG3"}
    (path, reason), *_ = [(p, r) for p, r in acks if p.startswith(f"Gongkuang-{stage}/")]
    assert path.startswith(f"Gongkuang-{stage}/Api/RestApi/") and "api_waf=false" in reason
    # ... and says what the app's per-address login limit is: per container, on the address API Gateway sees
    assert "as API Gateway sees it" in reason and "each Lambda container" in reason and "CloudFront" in reason
    assert not [p for p, _ in acks if p.startswith(("Gongkuang-dev/", "Gongkuang-prod/"))]
    assert synthesized.resources("prod", "AWS::WAFv2::WebACL")  # prod keeps its per-address rule


@pytest.mark.parametrize("stage", ["county", "county-ec2"])
def test_secrets_in_ssm_are_read_by_name_with_exactly_their_parameters(synthesized: Synthesized, stage: str) -> None:
    from infra.secret_parameters import parameter_names

    names = parameter_names(_stage(stage))
    assert synthesized.resources(stage, "AWS::SecretsManager::Secret") == {}
    _, props = _api_function(synthesized, stage)
    env = props["Environment"]["Variables"]
    assert (env["API_TOKEN_KEY_SOURCE"], env["API_WECHAT_SECRET_SOURCE"], env["API_SMS_CHANNELS_SECRET"]) == (
        f"ssm:{names.token_key}",
        f"ssm:{names.wechat_secret}",
        f"ssm:{names.notify_channels}",
    )
    statements = _role_statements(synthesized, stage, props["Role"]["Fn::GetAtt"][0])
    assert not [s for s in statements if any(a.startswith("secretsmanager:") for a in _as_list(s["Action"]))]
    reads = [s for s in statements if "ssm:GetParameter" in _as_list(s["Action"])]
    assert all(_as_list(s["Action"]) == ["ssm:GetParameter"] for s in reads)
    arns = {
        "".join(p if isinstance(p, str) else "" for p in r["Fn::Join"][1])
        for s in reads
        for r in _as_list(s["Resource"])
    }
    assert {a.split(":parameter", 1)[1] for a in arns} == set(names.all())
    outputs = synthesized.templates[stage]["Outputs"]
    assert outputs["ApiTokenKeySecret"]["Value"] == f"ssm:{names.token_key}"
    assert outputs["NotifyChannelsSecret"]["Value"] == f"ssm:{names.notify_channels}"
