"""A loopback HTTP server for one provider stub: records what it received, answers scripted failures for the next
N calls, and can hang (a timeout) until it is closed. Subclasses speak the provider's real request formats."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any  # JSON-serialisable
    headers: Mapping[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the stub closes): the client's timeout must fire
    raw: bytes | None = None  # sent as it is instead of `body` (a gateway's HTML page, a cut-off answer)


@dataclass(frozen=True, slots=True)
class Received:
    """One message the stub accepted: what would have been sent."""

    at: float  # wall clock, time.time()
    provider: str
    provider_id: str
    address: str  # phone (masked nowhere: a stub's record is for tests and the demo's console)
    template: str
    params: Mapping[str, str]
    text: str  # the message as the person would read it (rendered by the stub when it knows the template)
    key: str = ""  # the idempotency key when the provider carries one (Aliyun OutId, Tencent SessionContext)


class StubServer:
    """Base of the provider stubs. `fail_next(failure, n)` makes the next n calls answer `failure` (one of
    `FAILURES`); "timeout" hangs the request until `close()`; "garbage" answers 200 with an HTML page."""

    provider = "stub"
    FAILURES: tuple[str, ...] = ()

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.received: list[Received] = []
        self.listeners: list[Callable[[Received], None]] = []  # told of each accepted message (the demo's console)
        self.calls = 0  # every request that reached the stub, answered or not
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._ids = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                answer = stub._dispatch(request)
                if answer.hang:
                    stub._closed.wait()
                    self.close_connection = True
                    return
                data = answer.raw if answer.raw is not None else json.dumps(answer.body, ensure_ascii=False).encode()
                self.send_response(answer.status)
                kind = "text/html" if answer.raw is not None else "application/json"
                headers = {"Content-Type": kind, **answer.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        address = self.server.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.provider}-stub", daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """host:port, as SDKs that take an endpoint without a scheme want it."""
        return f"{self.host}:{self.port}"

    def fail_next(self, failure: str, n: int = 1) -> None:
        if failure not in self.FAILURES:
            raise ValueError(f"{self.provider} stub knows no failure {failure!r} (known: {', '.join(self.FAILURES)})")
        with self._lock:
            self._script.extend([failure] * n)

    def _scripted(self) -> str | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}{self._ids:08d}"

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)
        for listener in self.listeners:
            listener(received)

    def accepted(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def _dispatch(self, request: Request) -> Answer:
        with self._lock:
            self.calls += 1
        try:
            return self.handle(request)
        except (ValueError, KeyError, TypeError) as exc:  # a malformed request: the real services answer 400
            return self.malformed(request, exc)

    def handle(self, request: Request) -> Answer:
        raise NotImplementedError

    def malformed(self, request: Request, exc: Exception) -> Answer:
        return Answer(400, {"error": f"malformed request: {exc}"})

    def close(self) -> None:
        self._closed.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


GARBAGE = Answer(200, None, raw=b"<html><body>502 Bad Gateway</body></html>")
