"""Password sign-in, lockout, per-address rate limit, refresh rotation and reuse, logout, disabling — over HTTP."""

from __future__ import annotations

import base64
import json
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.storage.sqlite import open_store
from tests.integration.miniprogram_api.conftest import Api
from tests.integration.miniprogram_api.world import COUNTY, NOW, PASSWORD, build_world
from tests.support.api import FAST_HASHER, TEST_TOKEN_KEY, api_settings, serve

pytestmark = pytest.mark.integration


def _person(api: Api, username: str, phone: str = "") -> str:
    account = create_account(
        api.store.accounts,
        NOW,
        username=username,
        display_name="测试人员",
        role=Role.VIEWER,
        county_id=COUNTY,
        phone=phone,
        password=PASSWORD,
        hasher=FAST_HASHER,
    )
    return account.id


def _login(
    api: Api, login: str, password: str = PASSWORD, **extra: str
) -> tuple[int, dict[str, object], dict[str, str]]:
    reply = api.client.post("/auth/login", json_body={"login": login, "password": password, **extra})
    return reply.status, reply.json, reply.headers


def test_login_by_user_name_or_phone_gives_tokens_in_beijing_time(api: Api) -> None:
    _person(api, "by_phone", phone="13900000001")
    status, body, _ = _login(api, "13900000001")
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert str(body["expires_at"]).endswith("+08:00")
    account = body["account"]
    assert isinstance(account, dict) and account["username"] == "by_phone" and account["role_name"] == "只读"
    assert "password_hash" not in account and "wechat_openid" not in account
    me = api.client.get("/me", token=str(body["access_token"]))
    assert me.status == 200 and me.json["username"] == "by_phone"
    assert _login(api, "by_phone")[0] == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(api: Api) -> None:
    _person(api, "same_answer")
    unknown, wrong = _login(api, "nobody_at_all", "whatever-1"), _login(api, "same_answer", "wrong-password")
    assert unknown[0] == wrong[0] == 401
    assert unknown[1] == wrong[1] == {"code": "invalid_credentials", "message": "用户名或密码错误", "field": None}


def test_brute_force_locks_the_account_even_for_the_right_password(api: Api) -> None:
    _person(api, "brute_forced")
    statuses = [_login(api, "brute_forced", f"guess-{i}")[0] for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    status, body, headers = _login(api, "brute_forced")  # the right password, while locked
    assert (status, body["code"]) == (429, "account_locked")
    assert 0 < int(headers["retry-after"]) <= 15 * 60


def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    _person(api, "rotating")
    _, first, _ = _login(api, "rotating")
    old = str(first["refresh_token"])
    renewed = api.client.post("/auth/refresh", json_body={"refresh_token": old})
    assert renewed.status == 200, renewed
    new = renewed.json["refresh_token"]
    assert new != old and api.client.get("/me", token=renewed.json["access_token"]).status == 200
    reused = api.client.post("/auth/refresh", json_body={"refresh_token": old})
    assert (reused.status, reused.json["code"]) == (401, "refresh_reused")
    after = api.client.post("/auth/refresh", json_body={"refresh_token": new})  # the thief's or the owner's: dead
    assert (after.status, after.json["code"]) == (401, "refresh_invalid")


def test_logout_ends_the_session(api: Api) -> None:
    _person(api, "leaving")
    _, body, _ = _login(api, "leaving")
    assert api.client.post("/auth/logout", json_body={"refresh_token": body["refresh_token"]}).status == 204
    again = api.client.post("/auth/refresh", json_body={"refresh_token": body["refresh_token"]})
    assert (again.status, again.json["code"]) == (401, "refresh_invalid")


def test_logout_ends_the_access_token_at_once_and_only_that_sign_in(api: Api) -> None:
    _person(api, "leaving_now")
    _, first, _ = _login(api, "leaving_now")
    _, second, _ = _login(api, "leaving_now")  # the same person on another device
    token = str(first["access_token"])
    assert api.client.get("/me", token=token).status == 200
    assert api.client.post("/auth/logout", json_body={"refresh_token": first["refresh_token"]}).status == 204
    me = api.client.get("/me", token=token)  # well within its 15 minutes
    assert (me.status, me.json["code"]) == (401, "token_revoked")
    assert api.client.get("/me", token=str(second["access_token"])).status == 200


def test_disabling_an_account_shuts_out_its_access_token_at_once(api: Api) -> None:
    account_id = _person(api, "to_disable")
    _, body, _ = _login(api, "to_disable")
    token = str(body["access_token"])
    assert api.client.get("/me", token=token).status == 200
    admin = api.token(Role.ADMIN)
    assert api.client.post(f"/accounts/{account_id}/disable", token=admin).status == 200
    me = api.client.get("/me", token=token)
    assert (me.status, me.json["code"]) == (401, "account_disabled")
    refreshed = api.client.post("/auth/refresh", json_body={"refresh_token": body["refresh_token"]})
    assert refreshed.status == 401
    assert _login(api, "to_disable")[1]["code"] == "account_disabled"
    assert api.client.post(f"/accounts/{account_id}/enable", token=admin).status == 200
    assert _login(api, "to_disable")[0] == 200


def _claims(api: Api, **changes: object) -> dict[str, object]:
    viewer = api.world.accounts[Role.VIEWER]
    family = jwt.decode(api.token(Role.VIEWER), options={"verify_signature": False})["fid"]  # a live sign-in
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, object] = {
        "iss": "gongkuang",
        "aud": "gongkuang-api",
        "sub": viewer.id,
        "role": "viewer",
        "channel": "web",
        "fid": family,
        "iat": now,
        "exp": now + 600,
    }
    return base | changes


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_forged_tokens_are_refused(api: Api) -> None:
    good = jwt.encode(_claims(api), TEST_TOKEN_KEY, algorithm="HS256")
    assert api.client.get("/me", token=good).status == 200  # the forging below is the only difference
    head, payload, signature = good.split(".")
    past = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    admin_id = api.world.accounts[Role.ADMIN].id
    forged = {
        "alg none": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(api)) + ".",
        "wrong key": jwt.encode(_claims(api), "another-key-that-is-long-enough-0123456789", algorithm="HS256"),
        "tampered claims": head + "." + _b64(_claims(api, sub=admin_id, role="admin")) + "." + signature,
        "HS512": jwt.encode(_claims(api), TEST_TOKEN_KEY, algorithm="HS512"),
        "other audience": jwt.encode(_claims(api, aud="someone-else"), TEST_TOKEN_KEY, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in _claims(api).items() if k != "exp"}, TEST_TOKEN_KEY),
        "garbage": "not.a.token",
    }
    for name, token in forged.items():
        reply = api.client.get("/me", token=token)
        assert (reply.status, reply.json["code"]) == (401, "token_invalid"), name
    expired = jwt.encode(_claims(api, iat=past - 900, exp=past), TEST_TOKEN_KEY, algorithm="HS256")
    reply = api.client.get("/me", token=expired)
    assert (reply.status, reply.json["code"]) == (401, "token_expired")
    assert payload  # (the good token's payload, reused above with a changed subject)


def test_failed_sign_ins_per_address_are_limited_and_successes_are_not(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "api.db"))
    try:
        world = build_world(store)
        viewer = world.accounts[Role.VIEWER].username
        with serve(store, api_settings(str(tmp_path / "api.db"), login_rate_per_minute=1, login_burst=3)) as client:
            good = [client.post("/auth/login", json_body={"login": viewer, "password": PASSWORD}) for _ in range(5)]
            assert [g.status for g in good] == [200] * 5  # an office behind one address signs in freely
            wrong = {"login": "nobody_x", "password": "pw-wrong-1"}
            answers = [client.post("/auth/login", json_body=wrong) for _ in range(4)]
            assert [a.status for a in answers] == [401, 401, 401, 429]
            assert answers[-1].json["code"] == "rate_limited" and int(answers[-1].headers["retry-after"]) >= 1
            blocked = client.post("/auth/login", json_body={"login": viewer, "password": PASSWORD})
            assert blocked.status == 429  # until the address's bucket refills
    finally:
        store.close()


@pytest.mark.parametrize(
    ("body", "headers", "status", "code", "field"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400, "malformed_json", "body"),
        (b"[1, 2]", {"Content-Type": "application/json"}, 422, "invalid_body", "body"),
        (b"[" * 50_000, {"Content-Type": "application/json"}, 400, "malformed_json", "body"),
        (
            b'{"login": 1' + b"0" * 5000 + b', "password": "b"}',
            {"Content-Type": "application/json"},
            400,
            "malformed_json",
            "body",
        ),
        (b'{"login": "a"}', {"Content-Type": "application/json"}, 422, "invalid_input", "password"),
        (
            b'{"login": "a", "password": "b", "admin": true}',
            {"Content-Type": "application/json"},
            422,
            "invalid_input",
            "admin",
        ),
        (
            b'{"login": "a", "password": "b", "channel": "sms"}',
            {"Content-Type": "application/json"},
            422,
            "invalid_input",
            "channel",
        ),
        (
            b"login=a&password=b",
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
            None,
        ),
        (b'{"login": "\xff\xfe"}', {"Content-Type": "application/json"}, 400, "malformed_json", None),
        (
            b'{"login": "' + b"a" * 70_000 + b'", "password": "b"}',
            {"Content-Type": "application/json"},
            413,
            "payload_too_large",
            None,
        ),
    ],
    ids=[
        "malformed",
        "array",
        "deeply nested",
        "huge number",
        "missing",
        "unknown field",
        "bad enum",
        "form",
        "not utf-8",
        "oversized",
    ],
)
def test_bad_bodies_get_clear_errors(
    api: Api, body: bytes, headers: dict[str, str], status: int, code: str, field: str | None
) -> None:
    reply = api.client.request("POST", "/auth/login", body=body, headers=headers)
    assert (reply.status, reply.json["code"], reply.json["field"]) == (status, code, field), reply
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reply.json["message"])


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):  # the server closes the connection after refusing
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_body_beyond_the_server_limit_is_refused_unread_and_the_server_keeps_serving(api: Api) -> None:
    with socket.create_connection((api.client.host, api.client.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n{"
        )
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413") and b"payload_too_large" in answer
    for raw in (b"GARBAGE\r\n\r\n", b"GET /api/v1/me HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        with socket.create_connection((api.client.host, api.client.port), timeout=10) as sock:
            sock.sendall(raw)
            assert _read_all(sock).split(b" ")[1] in (b"400", b"411")
    deadline = time.monotonic() + 10
    while api.client.get("/openapi.json").status != 200:
        assert time.monotonic() < deadline


def test_injection_and_traversal_strings_in_paths_and_queries_are_422(api: Api) -> None:
    admin = api.token(Role.ADMIN)
    for value in ("' OR 1=1 --", "../../etc/passwd", "a;DROP TABLE accounts", "%00", "x" * 300):
        reply = api.client.get("/accounts", token=admin, query={"role": value})
        assert (reply.status, reply.json["field"]) == (422, "role"), value
    for path in ("/accounts/..%2F..%2Fetc", "/accounts/'%20OR%201=1", "/accounts/" + "a" * 200):
        reply = api.client.get(path, token=admin)
        assert (reply.status, reply.json["code"]) == (422, "invalid_path"), path
    reply = api.client.get("/accounts", token=admin, query={"limit": "1", "limit2": "x"})
    assert (reply.status, reply.json["field"]) == (422, "limit2")
    reply = api.client.get("/accounts", token=admin, query={"cursor": "eyJvZmZzZXQiOiAiMSBPUiAxPTEifQ"})
    assert (reply.status, reply.json["code"]) == (422, "invalid_cursor")
