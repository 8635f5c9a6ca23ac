"""The API on one machine: a threaded HTTP server that turns each request into an API Gateway proxy event for the
Chalice app (the Lambda path, without chalice.local's dev server: real client address, body limit, no crash on
bad input). One thread per connection; see docs/api.md "Local server" for its limits.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import mimetypes
import threading
import uuid
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from chalice.app import Chalice
from chalice.local import RouteMatcher

log = logging.getLogger("local.api")
MAX_BODY = 12 * 1024 * 1024  # above any route's own limit (photos); larger bodies are refused unread
READ_TIMEOUT_S = 30.0  # a client that stops sending mid-request loses its connection, not a thread forever


class _Context:
    """The little of Lambda's context object the app may read."""

    function_name = "gongkuang-api-local"
    memory_limit_in_mb = 0

    def __init__(self) -> None:
        self.aws_request_id = uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"code": code, "message": message, "field": None}, ensure_ascii=False).encode()
    return status, {"Content-Type": "application/json; charset=utf-8"}, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gongkuang-api"
    sys_version = ""
    timeout = READ_TIMEOUT_S
    default_request_version = "HTTP/1.1"  # a garbled request line still gets a status line, not a bare body
    # TCP_NODELAY: the head and the body go out in two writes; with Nagle the body waits for the client's
    # delayed ACK of the head, 40 ms on every keep-alive request (make bench-api).
    disable_nagle_algorithm = True
    server: ApiHttpServer

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, headers too long) in the API's JSON shape."""
        status, headers, body = _error(code, "bad_request" if code < 500 else "internal_error", "请求格式错误")
        self.close_connection = True
        self.send_response(status, message)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("http " + format, *args)

    def _handle(self) -> None:
        try:
            status, headers, body = self._answer()
        except Exception:  # a bug in the adapter itself: answer, log, keep serving
            log.exception("api request failed", extra={"fields": {"path": self.path[:200]}})
            status, headers, body = _error(500, "internal_error", "服务器内部错误")
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

    def _answer(self) -> tuple[int, dict[str, str], bytes]:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return _error(411, "length_required", "请求须带 Content-Length")
        length_text = self.headers.get("Content-Length", "0").strip() or "0"
        if not length_text.isdigit():
            self.close_connection = True
            return _error(400, "bad_request", "Content-Length 不正确")
        length = int(length_text)
        if length > self.server.max_body:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            return _error(413, "payload_too_large", f"请求体过大（上限 {self.server.max_body} 字节）")
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            self.close_connection = True
            return _error(400, "bad_request", "请求体不完整")
        split = urlsplit(self.path)
        if (
            self.server.static_dir is not None
            and not split.path.startswith("/api/")
            and self.command in ("GET", "HEAD")
        ):
            return self.server.static_file(split.path)
        try:
            match = self.server.matcher.match_route(split.path)
        except ValueError:
            return _error(404, "not_found", "接口不存在")
        headers = {k.lower(): v for k, v in self.headers.items()}
        binary = headers.get("content-type", "").split(";")[0].strip() in self.server.app.api.binary_types
        try:  # API Gateway passes text bodies as text: a body that is not UTF-8 cannot be JSON either
            text = "" if binary else body.decode("utf-8")
        except UnicodeDecodeError:
            return _error(400, "malformed_json", "请求体不是合法的 UTF-8 文本")
        event: dict[str, Any] = {
            "requestContext": {
                "httpMethod": self.command,
                "resourcePath": match.route,
                "identity": {"sourceIp": self.server.client_ip(self.client_address[0], headers.get("x-forwarded-for"))},
                "path": split.path,
                "requestId": uuid.uuid4().hex,
            },
            "headers": headers,
            "pathParameters": {k: unquote(v) for k, v in match.captured.items()} or None,
            "multiValueQueryStringParameters": parse_qs(split.query, keep_blank_values=True) or None,
            "stageVariables": {},
            "body": base64.b64encode(body).decode() if binary and body else (text or None),
            "isBase64Encoded": bool(binary and body),
        }
        response = self.server.app(event, _Context())
        out = dict(response.get("headers") or {})
        for name, values in (response.get("multiValueHeaders") or {}).items():
            out[name] = ", ".join(values)
        raw = response.get("body") or b""
        if response.get("isBase64Encoded"):
            data = base64.b64decode(raw)
        else:
            data = raw if isinstance(raw, bytes) else str(raw).encode()
        return int(response["statusCode"]), out, data


class ApiHttpServer(ThreadingHTTPServer):
    """The server; `start()` serves from a background thread, `stop()` ends it and closes the socket."""

    daemon_threads = True  # a slow client never holds the platform's shutdown
    allow_reuse_address = True
    # socketserver's default listen backlog of 5 drops the SYNs of a burst of new connections (20 clients, a
    # notification sent to many phones), and a dropped SYN is retried only after 1 s (make bench-api).
    request_queue_size = 128

    def __init__(
        self,
        app: Chalice,
        host: str,
        port: int,
        *,
        max_body: int = MAX_BODY,
        trusted_proxies: Iterable[str] = (),
        static_dir: Path | None = None,
    ) -> None:
        self.app = app
        self.static_dir = static_dir.resolve() if static_dir is not None else None
        self.max_body = max_body
        self.trusted_proxies = frozenset(trusted_proxies)
        self.matcher = RouteMatcher(list(app.routes))
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    def static_file(self, url_path: str) -> tuple[int, dict[str, str], bytes]:
        """A file of the built dashboard; a path that is not a file (a client-side route) gets index.html; nothing
        outside the directory is ever served (resolved, symlinks included)."""
        assert self.static_dir is not None
        relative = unquote(url_path).lstrip("/")
        if "\x00" in relative or any(part.startswith(".") for part in relative.split("/") if part):
            return _error(404, "not_found", "文件不存在")  # no NUL, no dot files (.env, .build-stamp), no ../
        target = (self.static_dir / relative).resolve()
        if not target.is_relative_to(self.static_dir):
            return _error(404, "not_found", "文件不存在")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            if Path(relative).suffix:  # a missing asset is a 404, not the page
                return _error(404, "not_found", "文件不存在")
            target = self.static_dir / "index.html"
            if not target.is_file():
                return _error(404, "not_found", "文件不存在")
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        if target.name == "index.html":
            cache = "no-cache"  # always revalidated: a new build shows on the next load
        elif target.parent == self.static_dir / "assets":
            cache = "public, max-age=31536000, immutable"  # Vite's assets carry their content hash in the name
        else:
            cache = "public, max-age=3600"
        return (
            200,
            {"Content-Type": kind, "Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
            target.read_bytes(),
        )

    def client_ip(self, peer: str, forwarded_for: str | None) -> str:
        """The peer's address; behind a trusted reverse proxy, the nearest address in X-Forwarded-For that is not
        itself a trusted proxy (what a client writes there itself is never believed)."""
        if peer not in self.trusted_proxies or not forwarded_for:
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            try:
                address = str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a garbled header: the proxy itself is the best we know
            if address not in self.trusted_proxies:
                return address
        return peer

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/api/v1/"

    @property
    def site_url(self) -> str | None:
        """The dashboard's address, when one is served."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/" if self.static_dir is not None else None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="api-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.server_close()
