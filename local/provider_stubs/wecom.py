"""WeCom (企业微信) group robot webhook on loopback: `cgi-bin/webhook/send?key=` with text or markdown, at most
20 messages a minute per robot (errcode 45009 beyond), 93000 for an unknown key, -1 when busy."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from local.provider_stubs.base import GARBAGE, Answer, Received, Request, StubServer

PER_MINUTE = 20
MAX_MARKDOWN_BYTES = 4096


def _errcode(code: int, message: str) -> Answer:
    return Answer(200, {"errcode": code, "errmsg": message})


class WecomStub(StubServer):
    """`keys`: the webhook keys of the robots that exist."""

    provider = "wecom"
    FAILURES = ("throttle", "invalid_key", "busy", "5xx", "timeout", "garbage")

    def __init__(self, *, keys: Iterable[str], per_minute: int = PER_MINUTE, host: str = "127.0.0.1", port: int = 0):
        self.keys = set(keys)
        self.per_minute = per_minute
        self._sent: dict[str, list[float]] = {}
        self._rate_lock = threading.Lock()
        super().__init__(host, port)

    def handle(self, request: Request) -> Answer:
        if request.path != "/cgi-bin/webhook/send" or request.method != "POST":
            return Answer(404, {"errcode": 404, "errmsg": "not found"})
        failure = self._scripted()
        if failure == "timeout":
            return Answer(0, None, hang=True)
        if failure == "garbage":
            return GARBAGE
        if failure == "5xx":
            return Answer(502, {"errmsg": "Bad Gateway"})
        if failure == "throttle":
            return _errcode(45009, "api freq out of limit")
        if failure == "busy":
            return _errcode(-1, "system busy")
        key = request.query.get("key", "")
        if failure == "invalid_key" or key not in self.keys:
            return _errcode(93000, "invalid webhook url")
        body = request.json()
        kind = body.get("msgtype")
        if kind not in ("text", "markdown"):
            return _errcode(40008, "invalid message type")
        content = str((body.get(kind) or {}).get("content", ""))
        if not content:
            return _errcode(44004, "empty content")
        if len(content.encode("utf-8")) > MAX_MARKDOWN_BYTES:
            return _errcode(40058, "markdown.content exceed max length 4096")
        now = time.time()
        with self._rate_lock:
            recent = [t for t in self._sent.get(key, []) if t > now - 60]
            if len(recent) >= self.per_minute:
                return _errcode(45009, "api freq out of limit")
            self._sent[key] = [*recent, now]
        msg_id = self._next_id("wecom-")
        self._record(Received(now, self.provider, msg_id, key[:6] + "…", kind, {}, content))
        return _errcode(0, "ok")
