"""Talking to the API in tests: a small HTTP client over a real loopback socket, and the server around the app."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from argon2 import PasswordHasher

from local.api_server import ApiHttpServer
from local.wechat_stub import WeChatStub
from miniprogram_api.chalicelib import wiring
from miniprogram_api.chalicelib.settings import ApiSettings
from miniprogram_api.chalicelib.sms import SmsCodeSender
from monitoring.clock import Clock
from monitoring.storage.ports import Store

TEST_TOKEN_KEY = "test-token-key-" + "0123456789abcdef" * 4  # 79 bytes: long enough for HS512 forgeries too
# argon2id with a small cost: the tests sign in dozens of times on a shared 2-core machine.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:  # a failing assert shows what came back
        return f"Reply({self.status}, {self.body[:300]!r})"


class ApiClient:
    """One request per connection (simple and safe across threads); paths are relative to /api/v1."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        url = self.prefix + path + ("?" + urlencode(query, doseq=True) if query else "")
        sent = dict(headers or {})
        sent.setdefault("Accept", "*/*")  # as curl, browsers and wx.request send (Chalice needs it for binary bodies)
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            sent.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, url, body=body, headers=sent)
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)


WECHAT_APPID, WECHAT_SECRET = "wx-test-appid", "test-app-secret"


def api_settings(sqlite_path: str = ":memory:", **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "store_backend": "sqlite",
        "sqlite_path": sqlite_path,
        "token_key": TEST_TOKEN_KEY,
        "wechat_appid": WECHAT_APPID,
        "wechat_secret": WECHAT_SECRET,
    }
    return ApiSettings(**(values | overrides))


@contextmanager
def wechat_stub() -> Iterator[WeChatStub]:
    stub = WeChatStub(WECHAT_APPID, WECHAT_SECRET)
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()


@contextmanager
def serve(
    store: Store, settings: ApiSettings, *, clock: Clock | None = None, sms: SmsCodeSender | None = None
) -> Iterator[ApiClient]:
    """The app on 127.0.0.1 (a free port) over `store`, until the block ends."""
    from miniprogram_api.app import app

    previous = wiring.install(None)
    wiring.configure(settings, store=store, clock=clock, hasher=FAST_HASHER, sms=sms)
    server = ApiHttpServer(app, "127.0.0.1", 0)
    server.start()
    try:
        yield ApiClient(server.url)
    finally:
        server.stop()
        wiring.install(previous)
