"""The Lambda entry behind API Gateway's `{proxy+}` resource: events as a REST API proxy integration sends them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from miniprogram_api import lambda_proxy
from miniprogram_api.chalicelib import wiring
from monitoring.accounts.models import Role
from monitoring.storage.sqlite import open_store
from tests.integration.miniprogram_api.world import PASSWORD, World, build_world
from tests.support.api import FAST_HASHER, api_settings

pytestmark = pytest.mark.integration
DASHBOARD = "https://gk.example.gov.cn"


def proxy_event(
    method: str, path: str, *, token: str | None = None, body: Any = None, origin: str | None = None
) -> dict[str, Any]:
    """What API Gateway passes for `ANY /{proxy+}`: the resource is the proxy, the route is only in `path`."""
    headers = {"Host": "abc123.execute-api.cn-north-1.amazonaws.com.cn", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    raw = json.dumps(body, ensure_ascii=False) if body is not None else None
    if raw is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "test"},
        },
        "body": raw,
        "isBase64Encoded": False,
    }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = open_store(str(tmp_path / "api.db"))
    previous = wiring.install(None)
    wiring.configure(api_settings(cors_origin=DASHBOARD), store=store, hasher=FAST_HASHER)
    try:
        yield build_world(store)
    finally:
        wiring.install(previous)
        store.close()


def call(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    answer = lambda_proxy.handler(event, None)
    body = answer.get("body") or ""
    if answer.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return int(answer["statusCode"]), dict(answer.get("headers") or {}), json.loads(body) if body else None


def sign_in(world: World, role: Role) -> str:
    login = {"login": world.accounts[role].username, "password": PASSWORD}
    status, _, body = call(proxy_event("POST", "/api/v1/auth/login", body=login))
    assert status == 200, body
    return str(body["access_token"])


def test_a_route_with_path_parameters_is_found_from_the_proxy_path(world: World) -> None:
    # Given a branch account, When its enterprise and another branch's are asked for through the proxy resource
    token = sign_in(world, Role.BRANCH)
    inside = call(proxy_event("GET", f"/api/v1/enterprises/{world.inside['enterprise_id']}", token=token))
    outside = call(proxy_event("GET", f"/api/v1/enterprises/{world.outside['enterprise_id']}", token=token))
    # Then the route and its parameter were found (own enterprise 200), scope still applies (the other is 404)
    assert inside[0] == 200 and inside[2]["enterprise_id"] == world.inside["enterprise_id"]
    assert outside[0] == 404 and outside[2]["code"] == "not_found"


def test_an_unknown_path_answers_404_in_the_api_error_shape(world: World) -> None:
    status, headers, body = call(proxy_event("GET", "/api/v1/no-such-thing/42"))
    assert status == 404
    assert body == {"code": "not_found", "message": "接口不存在", "field": None}
    assert headers["Content-Type"].startswith("application/json")


def test_the_wrong_method_on_a_known_path_is_405_not_another_route(world: World) -> None:
    status, _, body = call(proxy_event("DELETE", "/api/v1/health"))
    assert status == 405 and body["code"] == "method_not_allowed"


def test_only_the_dashboard_origin_is_allowed_to_read_answers(world: World) -> None:
    ours = call(proxy_event("GET", "/api/v1/health", origin=DASHBOARD))
    theirs = call(proxy_event("GET", "/api/v1/health", origin="https://evil.example.com"))
    plain = call(proxy_event("GET", "/api/v1/health"))
    assert ours[0] == theirs[0] == plain[0] == 200
    assert ours[1]["Access-Control-Allow-Origin"] == DASHBOARD and ours[1]["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in theirs[1] and "Access-Control-Allow-Origin" not in plain[1]


def test_a_base64_encoded_json_body_is_read_like_a_plain_one(world: World) -> None:
    # API Gateway base64-encodes a body whose type is a binary media type; the login must still be understood
    event = proxy_event("POST", "/api/v1/auth/login", body={"login": "admin_user", "password": PASSWORD})
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    status, _, body = call(event)
    assert status == 200 and body["access_token"]
