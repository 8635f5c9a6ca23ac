"""What every route gets from the framework: the audit entry of a mutating call, one error shape for anything
unexpected (unknown route, wrong method), request ids, and an OpenAPI document a client generator accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import schemathesis

from miniprogram_api.chalicelib.framework import ROUTES
from monitoring.accounts.models import Role
from monitoring.audit.models import AuditRecord
from tests.integration.miniprogram_api.conftest import Api
from tests.integration.miniprogram_api.world import PASSWORD

pytestmark = pytest.mark.integration


def _trail(api: Api, object_id: str) -> list[AuditRecord]:
    now = datetime.now(UTC)  # the API under test runs on the system clock
    records, _ = api.store.audit_trail.query(
        since=now - timedelta(hours=1), until=now + timedelta(hours=1), object_id=object_id, limit=50
    )
    return list(records)


def test_a_mutating_call_is_audited_with_who_where_and_how(api: Api) -> None:
    target = api.world.inside["account_id"]
    reply = api.client.post(
        f"/accounts/{target}/invite", token=api.token(Role.ADMIN), headers={"X-Client-Channel": "miniprogram"}
    )
    assert reply.status == 201
    (record,) = [r for r in _trail(api, target) if r.action == "accounts.invite"]
    admin = api.world.accounts[Role.ADMIN]
    assert (record.actor_id, record.actor_role, record.channel) == (admin.id, "admin", "miniprogram")
    assert (record.source_ip, record.object_type, record.object_id) == ("127.0.0.1", "account", target)
    assert record.detail["request_id"] == reply.headers["x-request-id"]
    assert reply.json["invitation_code"] not in str(record.detail)


def test_refused_calls_are_audited_as_denied_and_failed_ones_not_at_all(api: Api) -> None:
    outside = api.world.outside["account_id"]
    assert api.client.post(f"/accounts/{outside}/disable", token=api.token(Role.VIEWER)).status == 403
    assert api.client.post(f"/accounts/{outside}/disable", token=api.token(Role.ADMIN)).status == 404
    assert api.client.post(f"/accounts/{outside}/disable", token="not.a.token").status == 401  # nobody to name
    (record,) = _trail(api, outside)
    assert (record.action, record.actor_role, record.detail["error"]) == (
        "accounts.disable.denied",
        "viewer",
        "forbidden",
    )
    assert api.store.accounts.get_account(outside).disabled is False


def test_logins_are_audited_under_the_person(api: Api) -> None:
    viewer = api.world.accounts[Role.VIEWER]
    assert api.client.post("/auth/login", json_body={"login": viewer.username, "password": PASSWORD}).status == 200
    logins = [r for r in _trail(api, viewer.id) if r.action == "auth.login"]
    assert logins and logins[0].actor_id == viewer.id and logins[0].channel == "web"


def test_a_bad_channel_header_is_422(api: Api) -> None:
    reply = api.client.get("/me", token=api.token(Role.VIEWER), headers={"X-Client-Channel": "telnet"})
    assert (reply.status, reply.json["field"]) == (422, "X-Client-Channel")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("DELETE", "/me", 405, "method_not_allowed"),
        ("GET", "/", 404, "not_found"),
    ],
)
def test_anything_unexpected_still_answers_in_the_error_shape(
    api: Api, method: str, path: str, status: int, code: str
) -> None:
    reply = api.client.request(method, path, token=api.token(Role.ADMIN))
    assert (reply.status, reply.json["code"]) == (status, code)
    assert set(reply.json) == {"code", "message", "field"}


def test_openapi_document_is_valid_and_names_security_and_errors(api: Api) -> None:
    reply = api.client.get("/openapi.json")
    assert reply.status == 200
    doc = reply.json
    assert doc["openapi"] == "3.1.0" and doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    public = {(spec.method, spec.path) for spec in ROUTES if spec.public}
    assert ("POST", "/api/v1/auth/login") in public and ("GET", "/api/v1/me") not in public
    schema = schemathesis.openapi.from_dict(doc)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) == sum(len(methods) for methods in doc["paths"].values())
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }, (method, path)
            assert ("security" in op) == ((method.upper(), path) in public), (method, path)
