"""WeChat mini-program server API on loopback: `cgi-bin/stable_token`, `cgi-bin/token` (tokens that expire) and
`cgi-bin/message/subscribe/send` (openid, template id, page, data within the field-type limits), with WeChat's
errcodes: 40001/42001 token invalid or expired, 43101 not subscribed, 40037 template, 41030 page not in the
mini-program's app.json, 47003 data, -1 busy."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from local.provider_stubs.base import GARBAGE, Answer, Received, Request, StubServer

# field type → longest value (characters); time/date values must look like a time
LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "number": 32, "letter": 32, "symbol": 5, "name": 10}
_KEY = re.compile(r"([a-z_]+?)(\d+)")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?")

APP_JSON = Path(__file__).resolve().parents[2] / "miniprogram" / "app" / "app.json"


def app_pages(path: Path = APP_JSON) -> frozenset[str]:
    """The pages the mini-program declares: WeChat refuses a subscribe message linking anywhere else (41030)."""
    return frozenset(str(p) for p in json.loads(path.read_text(encoding="utf-8"))["pages"])


_FAILURES = {
    "invalid_token": (40001, "invalid credential, access_token is invalid or not latest"),
    "refused": (43101, "user refuse to accept the msg"),
    "invalid_template": (40037, "invalid template_id"),
    "invalid_data": (47003, "argument invalid! data.thing1.value invalid"),
    "quota": (45009, "reach max api daily quota limit"),
    "busy": (-1, "system error"),
}


def _errcode(code: int, message: str) -> Answer:
    return Answer(200, {"errcode": code, "errmsg": message})


class WechatStub(StubServer):
    """`templates`: template id → its data keys ("thing1", "time3", …); `subscribed`: openid → template ids the
    person accepted (None: everyone accepted everything); `pages`: the mini-program's pages (default: its app.json)."""

    provider = "wechat"
    FAILURES = (*_FAILURES, "expired_token", "5xx", "timeout", "garbage")

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        templates: Mapping[str, Iterable[str]],
        subscribed: Mapping[str, Iterable[str]] | None = None,
        token_ttl_s: int = 7200,
        pages: Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.app_id = app_id
        self._secret = app_secret
        self.templates = {k: frozenset(v) for k, v in templates.items()}
        self.subscribed = None if subscribed is None else {k: set(v) for k, v in subscribed.items()}
        self.token_ttl_s = token_ttl_s
        self.pages = app_pages() if pages is None else frozenset(pages)
        self.tokens_issued = 0  # new tokens (a stable token asked for again while valid is not new)
        self.token_requests = 0  # calls to either token endpoint
        self._stable = ""  # the current stable token: every caller gets it until it expires or is force-refreshed
        self.token_failures = 0  # the next this many token requests answer -1 (busy)
        self._tokens: dict[str, float] = {}  # token → expires at (wall clock)
        self._token_lock = threading.Lock()
        super().__init__(host, port)

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (as after two hours, or after another server asked for one)."""
        with self._token_lock:
            self._tokens = {t: 0.0 for t in self._tokens}

    def handle(self, request: Request) -> Answer:
        if request.path == "/cgi-bin/token" and request.method == "GET":
            return self._token(request.query)
        if request.path == "/cgi-bin/stable_token" and request.method == "POST":
            return self._stable_token(request)
        if request.path == "/cgi-bin/message/subscribe/send" and request.method == "POST":
            return self._send(request)
        return Answer(404, {"errcode": 404, "errmsg": "not found"})

    def _stable_token(self, request: Request) -> Answer:
        """getStableAccessToken: the normal mode returns the current token (with what is left of its life) while it
        is valid, so processes sharing an app never invalidate each other; force_refresh invalidates it."""
        try:
            body = request.json()
        except ValueError:
            return _errcode(47001, "data format error")
        if not isinstance(body, dict):
            return _errcode(47001, "data format error")
        q = {k: str(body.get(k, "")) for k in ("grant_type", "appid", "secret")}
        refused = self._check_credentials(q)
        if refused is not None:
            return refused
        force = body.get("force_refresh", False)
        if not isinstance(force, bool):
            return _errcode(47001, "data format error")
        now = time.time()
        with self._token_lock:
            expires = self._tokens.get(self._stable, 0.0)
            if force or expires <= now:
                if force and self._stable:
                    self._tokens[self._stable] = 0.0
                self._stable = secrets.token_urlsafe(48)
                expires = self._tokens[self._stable] = now + self.token_ttl_s
                self.tokens_issued += 1
            token = self._stable
        return Answer(200, {"access_token": token, "expires_in": max(1, int(expires - now))})

    def _token(self, q: Mapping[str, str]) -> Answer:
        refused = self._check_credentials(q)
        if refused is not None:
            return refused
        token = secrets.token_urlsafe(48)
        with self._token_lock:
            self._tokens[token] = time.time() + self.token_ttl_s
            self.tokens_issued += 1
        return Answer(200, {"access_token": token, "expires_in": self.token_ttl_s})

    def _check_credentials(self, q: Mapping[str, str]) -> Answer | None:
        with self._token_lock:
            self.token_requests += 1
            busy = self.token_failures > 0
            self.token_failures -= 1 if busy else 0
        if busy:
            return _errcode(-1, "system error")
        if q.get("grant_type") != "client_credential":
            return _errcode(40002, "invalid grant_type")
        if q.get("appid") != self.app_id:
            return _errcode(40013, "invalid appid")
        if q.get("secret") != self._secret:
            return _errcode(40125, "invalid appsecret")
        return None

    def _send(self, request: Request) -> Answer:
        failure = self._scripted()
        token = request.query.get("access_token", "")
        if failure == "timeout":
            return Answer(0, None, hang=True)
        if failure == "garbage":
            return GARBAGE
        if failure == "5xx":
            return Answer(503, {"errmsg": "Service Unavailable"})
        if failure == "expired_token":
            with self._token_lock:
                self._tokens[token] = 0.0
        with self._token_lock:
            expires = self._tokens.get(token)
        if expires is None:
            return _errcode(40001, "invalid credential, access_token is invalid or not latest")
        if expires <= time.time():
            return _errcode(42001, "access_token expired")
        if failure in _FAILURES:
            return _errcode(*_FAILURES[failure])
        body = request.json()
        openid, template_id = str(body.get("touser", "")), str(body.get("template_id", ""))
        if not openid:
            return _errcode(40003, "invalid openid")
        keys = self.templates.get(template_id)
        if keys is None:
            return _errcode(40037, "invalid template_id")
        if self.subscribed is not None and template_id not in self.subscribed.get(openid, set()):
            return _errcode(43101, "user refuse to accept the msg")
        page = str(body.get("page", ""))
        if page and page.split("?", 1)[0].lstrip("/") not in self.pages:
            return _errcode(41030, "invalid page")
        data = body.get("data") or {}
        values: dict[str, str] = {}
        for key, item in data.items():
            value = str(item.get("value", "")) if isinstance(item, dict) else ""
            m = _KEY.fullmatch(key)
            kind = m.group(1) if m else ""
            if key not in keys or not value:
                return _errcode(47003, f"argument invalid! data.{key}.value invalid")
            if kind in ("time", "date") and not _TIME.fullmatch(value):
                return _errcode(47003, f"argument invalid! data.{key}.value invalid")
            if kind in LIMITS and len(value) > LIMITS[kind]:
                return _errcode(47003, f"argument invalid! data.{key}.value exceeds limit")
            values[key] = value
        if self.subscribed is not None:  # a one-time subscription is used up by the message it allowed
            self.subscribed[openid].discard(template_id)
        msgid = self._next_id("")
        text = "；".join(f"{k}：{v}" for k, v in values.items())
        self._record(Received(time.time(), self.provider, msgid, openid, template_id, values, f"{text}（{page}）"))
        return Answer(200, {"errcode": 0, "errmsg": "ok", "msgid": int(msgid)})
