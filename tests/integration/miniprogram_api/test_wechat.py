"""Mini-program sign-in against the loopback jscode2session stub: binding by invitation and by SMS, WeChat's
error answers, and binding tickets that cannot be forged or reused as access tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from tests.integration.miniprogram_api.conftest import Api
from tests.integration.miniprogram_api.world import COUNTY, NOW
from tests.support.api import TEST_TOKEN_KEY, WECHAT_APPID, WECHAT_SECRET

pytestmark = pytest.mark.integration


def _wx_login(api: Api, openid: str) -> dict[str, object]:
    reply = api.client.post("/auth/wechat", json_body={"code": api.wechat.issue_code(openid)})
    assert reply.status == 200, reply
    body: dict[str, object] = reply.json
    return body


def _invitee(api: Api, username: str, phone: str = "") -> str:
    account = create_account(
        api.store.accounts,
        NOW,
        username=username,
        display_name="企业联系人",
        role=Role.ENTERPRISE,
        county_id=COUNTY,
        enterprise_ids=("ent-in",),
        phone=phone,
    )
    return account.id


def test_first_login_binds_by_invitation_then_logs_straight_in(api: Api) -> None:
    account_id = _invitee(api, "wx_invitee")
    invite = api.client.post(f"/accounts/{account_id}/invite", token=api.token(Role.ADMIN))
    assert invite.status == 201 and invite.json["expires_at"].endswith("+08:00")
    first = _wx_login(api, "openid-invitee")
    assert first["status"] == "unbound" and first["tokens"] is None
    query = api.wechat.requests[-1]
    assert query == {
        "appid": WECHAT_APPID,
        "secret": WECHAT_SECRET,
        "js_code": query["js_code"],
        "grant_type": "authorization_code",
    }
    code = invite.json["invitation_code"].lower()  # as typed on a phone
    bound = api.client.post(
        "/auth/wechat/bind-invitation", json_body={"binding_ticket": first["binding_ticket"], "invitation_code": code}
    )
    assert bound.status == 200, bound
    assert jwt.decode(bound.json["access_token"], options={"verify_signature": False})["channel"] == "miniprogram"
    again = api.client.post(
        "/auth/wechat/bind-invitation", json_body={"binding_ticket": first["binding_ticket"], "invitation_code": code}
    )
    assert (again.status, again.json["code"]) == (401, "invitation_invalid")
    second = _wx_login(api, "openid-invitee")
    tokens = second["tokens"]
    assert second["status"] == "bound" and isinstance(tokens, dict)
    me = api.client.get("/me", token=str(tokens["access_token"]))
    assert me.status == 200 and me.json["id"] == account_id and me.json["wechat_bound"] is True


def test_binding_by_phone_and_sms_code(api: Api) -> None:
    _invitee(api, "wx_by_phone", phone="13700000007")
    ticket = _wx_login(api, "openid-phone")["binding_ticket"]
    sent = api.client.post("/auth/wechat/sms-code", json_body={"binding_ticket": ticket, "phone": "13700000007"})
    assert sent.status == 202 and sent.json["sent_to"] == "137****0007", sent
    phone, code = api.sms.sent[-1]
    assert phone == "13700000007" and len(code) == 6
    too_soon = api.client.post("/auth/wechat/sms-code", json_body={"binding_ticket": ticket, "phone": "13700000007"})
    assert (too_soon.status, too_soon.json["code"]) == (429, "sms_rate_limited") and "retry-after" in too_soon.headers
    wrong = "000000" if code != "000000" else "111111"
    body = {"binding_ticket": ticket, "phone": "13700000007", "sms_code": wrong}
    refused = api.client.post("/auth/wechat/bind-phone", json_body=body)
    assert (refused.status, refused.json["code"], refused.json["field"]) == (401, "sms_code_invalid", "sms_code")
    bound = api.client.post("/auth/wechat/bind-phone", json_body=body | {"sms_code": code})
    assert bound.status == 200 and bound.json["account"]["username"] == "wx_by_phone"
    unknown = api.client.post("/auth/wechat/sms-code", json_body={"binding_ticket": ticket, "phone": "13700000999"})
    assert (unknown.status, unknown.json["field"]) == (422, "phone")


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [(45011, 429, "wechat_rate_limited"), (-1, 503, "wechat_unavailable"), (40029, 401, "wechat_code_invalid")],
)
def test_wechat_errors_become_api_errors(api: Api, errcode: int, status: int, code: str) -> None:
    api.wechat.fail_next(errcode)
    reply = api.client.post("/auth/wechat", json_body={"code": "any-code"})
    assert (reply.status, reply.json["code"]) == (status, code)


def test_a_wx_login_code_works_once(api: Api) -> None:
    code = api.wechat.issue_code("openid-once")
    assert api.client.post("/auth/wechat", json_body={"code": code}).status == 200
    reply = api.client.post("/auth/wechat", json_body={"code": code})
    assert (reply.status, reply.json["code"]) == (401, "wechat_code_invalid")


def test_binding_tickets_cannot_be_forged_expired_or_swapped_with_access_tokens(api: Api) -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": "gongkuang", "aud": "gongkuang-api:wechat-binding", "sub": "o-forged", "iat": now}
    bad = {
        "access token": api.token(Role.VIEWER),
        "expired": jwt.encode(claims | {"iat": now - 700, "exp": now - 100}, TEST_TOKEN_KEY, algorithm="HS256"),
        "wrong key": jwt.encode(claims | {"exp": now + 300}, "x" * 64, algorithm="HS256"),
    }
    for name, ticket in bad.items():
        body = {"binding_ticket": ticket, "invitation_code": "ABCDEFGHJK"}
        reply = api.client.post("/auth/wechat/bind-invitation", json_body=body)
        assert (reply.status, reply.json["code"]) == (401, "binding_ticket_invalid"), name
    ticket = str(_wx_login(api, "openid-swap")["binding_ticket"])
    assert api.client.get("/me", token=ticket).status == 401


def test_an_unreachable_wechat_is_503(api: Api) -> None:
    from miniprogram_api.chalicelib import wiring

    services = wiring.services()
    original = services.settings
    services.settings = original.model_copy(update={"wechat_base_url": "http://127.0.0.1:9"})
    try:
        reply = api.client.post("/auth/wechat", json_body={"code": "whatever"})
    finally:
        services.settings = original
    assert (reply.status, reply.json["code"]) == (503, "wechat_unavailable") and reply.headers["retry-after"] == "5"
