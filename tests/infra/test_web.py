"""The dashboard in the template: private site bucket read only by its distribution (OAC), client routes by a
viewer-request function, /api/v1/* to the API stage uncached, security headers; the upload only with a build."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.constructs.web import API_PATH, ASSETS_PATH, SPA_ROUTE_FUNCTION
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
STAGES = ("dev", "prod", "reuse")
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # AWS managed cache policy ids
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _one(synthesized: Synthesized, stage: str, kind: str, prefix: str = "Web") -> tuple[str, dict[str, Any]]:
    (found,) = [(k, r["Properties"]) for k, r in synthesized.resources(stage, kind).items() if k.startswith(prefix)]
    return found


def _distribution(synthesized: Synthesized, stage: str) -> dict[str, Any]:
    config: dict[str, Any] = _one(synthesized, stage, "AWS::CloudFront::Distribution")[1]["DistributionConfig"]
    return config


def _behaviour(config: dict[str, Any], path: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == path]
    assert len(found) == 1, path
    return found[0]


@pytest.mark.parametrize("stage", STAGES)
def test_site_bucket_is_private_encrypted_versioned_logged_and_tls_only(synthesized: Synthesized, stage: str) -> None:
    logical, bucket = _one(synthesized, stage, "AWS::S3::Bucket", "WebSite")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "web/"
    assert "WebsiteConfiguration" not in bucket  # never an S3 website endpoint (public by nature)
    policies = [p for p in synthesized.properties(stage, "AWS::S3::BucketPolicy") if p["Bucket"] == {"Ref": logical}]
    (statements,) = [p["PolicyDocument"]["Statement"] for p in policies]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allows = [s for s in statements if s["Effect"] == "Allow"]
    # Only CloudFront, only GetObject, only for this stack's distribution (OAC's source-ARN condition).
    assert len(allows) == 1
    assert allows[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allows[0]["Action"] == "s3:GetObject"
    source = json.dumps(allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert ":distribution/" in source and "WebDistribution" in source


@pytest.mark.parametrize("stage", STAGES)
def test_origin_access_control_signs_every_request_to_the_bucket(synthesized: Synthesized, stage: str) -> None:
    oac_logical, oac = _one(synthesized, stage, "AWS::CloudFront::OriginAccessControl")
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    config = _distribution(synthesized, stage)
    (s3_origin,) = [o for o in config["Origins"] if "S3OriginConfig" in o]
    assert s3_origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_logical, "Id"]}
    assert s3_origin["S3OriginConfig"]["OriginAccessIdentity"] == ""  # OAC, not the legacy OAI
    assert config["DefaultRootObject"] == "index.html"


@pytest.mark.parametrize("stage", STAGES)
def test_client_routes_get_the_page_but_api_errors_pass_through(synthesized: Synthesized, stage: str) -> None:
    """Distribution-wide error responses would turn the API's 403/404 JSON into the page with 200: none exist;
    a viewer-request function on the site behaviour only rewrites extension-less paths."""
    config = _distribution(synthesized, stage)
    assert "CustomErrorResponses" not in config
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function_logical = association["FunctionARN"]["Fn::GetAtt"][0]
    function = synthesized.templates[stage]["Resources"][function_logical]["Properties"]
    assert function["FunctionCode"] == SPA_ROUTE_FUNCTION
    assert all("FunctionAssociations" not in b for b in config["CacheBehaviors"])  # API and assets: as they are


def test_spa_route_function_rewrites_routes_and_keeps_files() -> None:
    """Run the function's JavaScript in node: client routes become /index.html, files and the root keep theirs."""
    script = (
        SPA_ROUTE_FUNCTION
        + """
const uris = JSON.parse(process.argv[1]);
console.log(JSON.stringify(uris.map(u => handler({request: {uri: u}}).uri)));"""
    )
    uris = ["/", "/alarms", "/alarms/al-1", "/enterprises/e.1/", "/assets/index-3f2a.js", "/favicon.ico", "/a.b/c"]
    out = subprocess.run(["node", "-e", script, json.dumps(uris)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [
        "/index.html",
        "/index.html",
        "/index.html",
        "/index.html",
        "/assets/index-3f2a.js",
        "/favicon.ico",
        "/index.html",
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_api_behaviour_forwards_to_the_stage_uncached(synthesized: Synthesized, stage: str) -> None:
    config = _distribution(synthesized, stage)
    api = _behaviour(config, API_PATH)
    assert API_PATH == "/api/v1/*" and {b["PathPattern"] for b in config["CacheBehaviors"]} == {API_PATH, ASSETS_PATH}
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert api["ViewerProtocolPolicy"] == "https-only"
    (origin,) = [o for o in config["Origins"] if o["Id"] == api["TargetOriginId"]]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    domain = json.dumps(origin["DomainName"])
    assert "ApiRestApi" in domain and ".execute-api." in domain
    assert "ApiRestApiDeploymentStage" in json.dumps(origin["OriginPath"])  # /<stage>, so /api/v1 lands in the app
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Logging"]["Prefix"] == "cloudfront/"


@pytest.mark.parametrize("stage", STAGES)
def test_security_headers_on_every_behaviour_and_caching_as_the_local_server(
    synthesized: Synthesized, stage: str
) -> None:
    policies = {
        k: p["Properties"]["ResponseHeadersPolicyConfig"]
        for k, p in synthesized.resources(stage, "AWS::CloudFront::ResponseHeadersPolicy").items()
        if k.startswith("Web")
    }
    config = _distribution(synthesized, stage)
    behaviours = {
        "page": config["DefaultCacheBehavior"],
        "assets": _behaviour(config, ASSETS_PATH),
        "api": _behaviour(config, API_PATH),
    }
    used = {name: policies[b["ResponseHeadersPolicyId"]["Ref"]] for name, b in behaviours.items()}
    for name, policy in used.items():
        headers = policy["SecurityHeadersConfig"]
        assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}, name
        assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000, name
        assert headers["ContentTypeOptions"] == {"Override": True}, name
        csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
        for directive in ("script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "connect-src 'self'"):
            assert directive in csp, (name, directive)
        assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
        assert "ApiPhotos" in csp  # presigned photo URLs of the API's bucket may be shown and uploaded to

    def cache_control(name: str) -> str | None:
        custom = used[name].get("CustomHeadersConfig", {}).get("Items", [])
        return next((h["Value"] for h in custom if h["Header"] == "Cache-Control"), None)

    assert cache_control("page") == "no-cache"  # index.html and client routes: a deploy shows at the next load
    assert cache_control("assets") == "public, max-age=31536000, immutable"
    assert cache_control("api") is None  # the API's own answers are left as they are
    assert behaviours["assets"]["CachePolicyId"] != CACHING_DISABLED
    assert behaviours["assets"]["TargetOriginId"] == behaviours["page"]["TargetOriginId"]  # the site bucket


def test_web_url_output_and_no_upload_without_a_build(synthesized: Synthesized) -> None:
    outputs = synthesized.templates["dev"]["Outputs"]
    assert "WebDistribution" in json.dumps(outputs["WebUrl"]["Value"])
    built = (Path(__file__).resolve().parents[2] / "web" / "dist" / "index.html").is_file()
    deployments = synthesized.resources("dev", "Custom::CDKBucketDeployment")
    assert bool(deployments) == built


def test_a_build_is_uploaded_and_invalidated_nag_clean(tmp_path: Path) -> None:
    """With web/dist present the stack uploads it (prune, CloudFront invalidation) and cdk-nag still passes."""
    from infra.app import build_app, file_context, source_layout

    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>工况</title>", encoding="utf-8")
    context = file_context()
    context["stages"] = {"dev": context["stages"]["dev"]}
    context["aws:cdk:bundling-stacks"] = []
    layout = dataclasses.replace(source_layout(), web_dist=dist)
    assembly = build_app(context=context, outdir=str(tmp_path / "out"), layout=layout).synth()  # raises on nag
    (stack,) = assembly.stacks
    resources = stack.template["Resources"]
    (deployment,) = [r["Properties"] for r in resources.values() if r["Type"] == "Custom::CDKBucketDeployment"]
    assert deployment["Prune"] is True
    assert "DistributionId" in deployment  # invalidated after the upload (all paths unless DistributionPaths)
    assert "WebSite" in json.dumps(deployment["DestinationBucketName"])


CHINA_ACCOUNT, CHINA_REGION = "123456789012", "cn-north-1"


@pytest.fixture(scope="module")
def china_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stage pinned to cn-north-1 as docs/deploy.md "China regions" describes it (web_distribution false,
    mirrors), synthesized offline with the zone lookup cached in the context; cdk-nag runs as for every stage."""
    from infra.app import build_app, file_context
    from tests.infra.conftest import REUSE_MIRRORS

    context = file_context()
    china = {**context["stages"]["county"], **REUSE_MIRRORS, "account": CHINA_ACCOUNT, "region": CHINA_REGION,
             "web_distribution": False}  # fmt: skip
    context["stages"] = {"china": china}
    context[f"availability-zones:account={CHINA_ACCOUNT}:region={CHINA_REGION}"] = ["cn-north-1a", "cn-north-1b"]
    context["aws:cdk:bundling-stacks"] = []
    outdir = tmp_path_factory.mktemp("china")
    (stack,) = build_app(context=context, outdir=str(outdir)).synth().stacks  # raises on an unacknowledged finding
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    return stack.template, manifest


def test_a_china_stage_has_no_cloudfront_and_no_literal_partition(
    china_template: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    template, manifest = china_template
    kinds = {r["Type"] for r in template["Resources"].values()}
    # No distribution, function, policies or site bucket: CloudFront in China has no origin access control
    assert not {k for k in kinds if k.startswith("AWS::CloudFront::")}
    assert "WebUrl" not in template["Outputs"] and "WebBucket" not in template["Outputs"]
    assert {"AWS::ApiGateway::RestApi", "AWS::ECS::Service", "AWS::Lambda::Function"} <= kinds  # the rest is there
    text = json.dumps(template)
    assert "arn:aws:" not in text and "cloudfront" not in text.lower()
    # pinned to the China region, offline: the zones came from the context, nothing was looked up
    (artifact,) = [a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
    assert artifact["environment"] == f"aws://{CHINA_ACCOUNT}/{CHINA_REGION}"
    assert "missing" not in manifest and "dummy" not in text
