"""The people's API client and their bad days, over real sockets against a loopback stub speaking the API's shapes:
an expired token is refreshed (or the account signs in again), errors arrive as {code, message}, and a pass of the
people over an API answering garbage or nothing logs and counts, never raises."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from local.demo.api_client import ApiClient, ApiFailure
from local.demo.harness import free_port
from local.demo.people import People
from local.demo.people_plan import plan_people

pytestmark = pytest.mark.integration


class Stub:
    """Tokens `access-N` / `refresh-N`; `expire` makes the current access token answer 401 token_expired."""

    def __init__(self) -> None:
        self.n = 0
        self.expired: set[str] = set()
        self.refresh_works = True
        self.alarms_reply: tuple[int, bytes] = (200, b'{"items": [], "next_cursor": null}')
        self.log: list[str] = []

    def tokens(self) -> dict[str, Any]:
        self.n += 1
        return {"access_token": f"access-{self.n}", "refresh_token": f"refresh-{self.n}", "account": {"id": "acc-1"}}


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the platform's server

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, doc: Any) -> None:
            self._answer(status, json.dumps(doc, ensure_ascii=False).encode())

        def do_GET(self) -> None:
            self._route()

        def do_POST(self) -> None:
            self._route()

        def _route(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body: dict[str, Any] = json.loads(self.rfile.read(size)) if size else {}
            path, token = self.path, self.headers.get("Authorization", "").removeprefix("Bearer ")
            state.log.append(f"{self.command} {path.split('?')[0]} {token}")
            if path == "/api/v1/health":
                return self._json(200, {"status": "ok"})
            if path == "/api/v1/auth/login":
                if body["password"] != "right":
                    return self._json(
                        401, {"code": "invalid_credentials", "message": "用户名或密码错误", "field": None}
                    )
                return self._json(200, state.tokens())
            if path == "/api/v1/auth/refresh":
                if not state.refresh_works:
                    return self._json(401, {"code": "refresh_reused", "message": "刷新令牌已失效", "field": None})
                return self._json(200, state.tokens())
            if token in state.expired or not token.startswith("access-"):
                return self._json(401, {"code": "token_expired", "message": "登录已过期", "field": None})
            if path.startswith("/api/v1/alarms"):
                return self._answer(*state.alarms_reply)
            if path.startswith("/api/v1/emergency/alerts"):
                return self._json(409, {"code": "alert_exists", "message": "预警编号已存在且内容不同", "field": None})
            return self._json(404, {"code": "not_found", "message": "不存在", "field": None})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_expired_token_is_refreshed_and_a_dead_refresh_signs_in_again(stub: tuple[Stub, str]) -> None:
    state, url = stub
    client = ApiClient(url)
    client.sign_in("demo_admin", "right")
    assert client.call("demo_admin", "GET", "/alarms", limit=5) == {"items": [], "next_cursor": None}
    state.expired.add("access-1")
    client.call("demo_admin", "GET", "/alarms")
    assert client.sessions["demo_admin"].access == "access-2"  # refreshed
    state.expired.add("access-2")
    state.refresh_works = False
    client.call("demo_admin", "GET", "/alarms")
    assert client.sessions["demo_admin"].access == "access-3"  # the refresh failed: signed in again
    assert "POST /api/v1/auth/login " in state.log[-2]
    client.close()


def test_errors_arrive_with_their_code_and_message(stub: tuple[Stub, str]) -> None:
    state, url = stub
    client = ApiClient(url)
    with pytest.raises(ApiFailure) as wrong:
        client.sign_in("demo_admin", "wrong")
    assert (wrong.value.status, wrong.value.code, wrong.value.message) == (
        401,
        "invalid_credentials",
        "用户名或密码错误",
    )
    client.sign_in("demo_admin", "right")
    state.alarms_reply = (502, b"<html>bad gateway</html>")
    with pytest.raises(ApiFailure) as garbage:
        client.call("demo_admin", "GET", "/alarms")
    assert (garbage.value.status, garbage.value.code) == (502, "no_json")
    client.close()
    with pytest.raises(ApiFailure) as down:
        ApiClient(f"http://127.0.0.1:{free_port()}").request("GET", "/health")
    assert (down.value.status, down.value.code) == (0, "unreachable")


def test_a_pass_over_a_misbehaving_api_is_logged_and_counted(stub: tuple[Stub, str], tmp_path: Path) -> None:
    state, url = stub
    manifest = {"enterprises": [{"id": "RG001", "name": "企业1", "scenario": "power_loss", "expected_alarms": [{}]}]}
    plan = plan_people(manifest, seed=1, start=datetime(2026, 11, 30, 8, 0))
    people = People(url, tmp_path, plan, admin=("demo_admin", "right"), emergency=("demo_emergency", "right"))
    late = datetime(2026, 12, 1, tzinfo=UTC)  # every step of the plan is due
    state.alarms_reply = (200, b"{not json")
    people.step(late)
    state.alarms_reply = (200, json.dumps({"items": [{"id": "x"}], "next_cursor": None}).encode())  # fields missing
    people.step(late)
    assert people.failed["publish_alert:alert_exists"] == 2 and people.failed["GET /alarms:no_json"] == 1
    assert people.failed["alarm:bad_answer"] == 1
    assert not people.published and people.done == {}
    for _ in range(3):
        people.step(late)
    assert people.failed["publish_alert:alert_exists"] == 3  # given up after three refusals, not retried forever
    people.stop()
