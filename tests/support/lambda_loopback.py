"""Lambda's Invoke API on 127.0.0.1 for one function (boto3 reaches it through AWS_ENDPOINT_URL_LAMBDA):
InvocationType Event answers 202 and queues the event; one worker thread runs the queued events in order, as
Lambda's asynchronous queue does for a function of reserved concurrency 1. Records every invocation."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = "/2015-03-31/functions/"


@dataclass
class Invocation:
    function_name: str
    payload: dict[str, Any]
    received: float  # time.monotonic()
    started: float | None = None
    finished: float | None = None
    result: Any = None
    error: str = ""
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Context:
    aws_request_id: str
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws-cn:lambda:cn-north-1:123456789012:function:NotifySend"
    budget_ms: int = 55_000
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int(self.budget_ms - (time.monotonic() - self.started) * 1000)


class LambdaLoopback:
    """One function `function_name` whose events `handler(event, context)` runs on one worker thread."""

    def __init__(self, function_name: str, handler: Callable[[dict[str, Any], Any], Any]) -> None:
        self.function_name = function_name
        self.handler = handler
        self.invocations: list[Invocation] = []
        self._queue: queue.Queue[Invocation | None] = queue.Queue()
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                path = urllib.parse.unquote(self.path.split("?")[0])
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                name = path.removeprefix(_PATH).removesuffix("/invocations")
                if not path.startswith(_PATH) or name != stub.function_name:
                    self._answer(404, {"Type": "User", "message": f"Function not found: {name}"},
                                 error="ResourceNotFoundException")  # fmt: skip
                    return
                if self.headers.get("X-Amz-Invocation-Type") != "Event":
                    self._answer(400, {"message": "only InvocationType Event is emulated"}, error="InvalidParameter")
                    return
                invocation = Invocation(name, json.loads(body or b"{}"), time.monotonic())
                with stub._lock:
                    stub.invocations.append(invocation)
                stub._queue.put(invocation)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.send_header("x-amzn-RequestId", f"req-{len(stub.invocations)}")
                self.end_headers()

            def _answer(self, status: int, body: dict[str, Any], *, error: str) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("x-amzn-ErrorType", error)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._threads = [
            threading.Thread(target=self._server.serve_forever, daemon=True),
            threading.Thread(target=self._work, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        n = 0
        while (invocation := self._queue.get()) is not None:
            n += 1
            context = _Context(f"loopback-{n}", invocation.function_name)
            invocation.started = time.monotonic()
            try:
                invocation.result = self.handler(invocation.payload, context)
            except Exception as exc:  # recorded for the test; Lambda would log it and drop or retry the event
                invocation.error = repr(exc)
            invocation.finished = time.monotonic()

    def idle(self) -> bool:
        with self._lock:
            return all(i.finished is not None for i in self.invocations)

    def close(self) -> None:
        self._queue.put(None)
        self._server.shutdown()
        self._server.server_close()
        self._threads[1].join(timeout=60)
