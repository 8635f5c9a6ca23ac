"""A loopback stand-in for WeChat's `GET /sns/jscode2session` (the real query parameters and JSON answers), for
the demo and the tests: `issue_code(openid)` plays wx.login; codes are one-time; `fail_next(errcode)` injects
45011 (rate limit) or -1 (busy). Codes `demo-<name>` are reusable and map to openid `o-demo-<name>` (the demo).
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ERRMSG = {
    -1: "system error",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40163: "code been used",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
}


class _Handler(BaseHTTPRequestHandler):
    server: WeChatStub

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        split = urlsplit(self.path)
        if split.path != "/sns/jscode2session":
            self._send(404, {"errcode": 404, "errmsg": "not found"})
            return
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.server.requests.append(query)
        self._send(200, self.server.answer(query))

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")  # WeChat answers JSON labelled text/plain
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class WeChatStub(ThreadingHTTPServer):
    """`start()` serves on 127.0.0.1 from a thread; `base_url` goes into the API's wechat_base_url."""

    daemon_threads = True

    def __init__(self, appid: str, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.appid, self.secret = appid, secret
        self.codes: dict[str, str] = {}  # code -> openid, until used
        self.requests: list[dict[str, str]] = []  # every query received (the tests read them)
        self._failures: list[int] = []
        self._used: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def issue_code(self, openid: str) -> str:
        """What wx.login gives the mini-program: a one-time code standing for `openid`."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = openid
        return code

    def fail_next(self, errcode: int) -> None:
        with self._lock:
            self._failures.append(errcode)

    def answer(self, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            if self._failures:
                return _error(self._failures.pop(0))
            if query.get("appid") != self.appid:
                return _error(40013)
            if query.get("secret") != self.secret:
                return _error(40125)
            code = query.get("js_code", "")
            if query.get("grant_type") != "authorization_code" or not code:
                return _error(40029)
            if code.startswith("demo-") and len(code) <= 64:
                openid = "o-" + code
            elif code in self.codes:
                openid = self.codes.pop(code)
            else:
                return _error(40163 if code in self._used else 40029)
            self._used.add(code)
        return {"openid": openid, "session_key": secrets.token_urlsafe(16)}

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="wechat-stub", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.server_close()


def _error(errcode: int) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error")}
