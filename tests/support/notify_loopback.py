"""A loopback HTTP provider for outbox tests (until the real provider stubs are merged): records every message by
its key, can answer failures for the next N calls, and a `Channel` that speaks to it over a real socket."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitoring.notify.ports import ChannelKind, OutgoingMessage, Receipt, SendResult, SendStatus


class LoopbackProvider:
    """POST /send {key, address, template, params, text} → 200 {"id"} | 429/503 | 400 {"code"}."""

    def __init__(self, name: str = "loop", *, delay_s: float = 0.0) -> None:
        self.name = name
        self.delay_s = delay_s
        self.received: list[dict[str, Any]] = []
        self.failures: list[tuple[int, str]] = []  # answered in order, one per call
        self.in_flight = 0  # requests inside their delay (a kill then lands mid-send)
        self.max_in_flight = 0  # the most requests inside their delay at once (concurrent senders)
        self.busy: set[str] = set()  # addresses of the requests inside their delay
        self.overlapped: set[str] = set()  # addresses that had two requests inside their delay at once
        self.undelivered: dict[str, str] = {}  # provider id → the carrier's code, for delivery reports
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/receipts":  # {"ids": [...]} → {"reports": [{"id", "delivered", "code"}]}
                    with provider._lock:
                        known = {f"{provider.name}-{i + 1}" for i in range(len(provider.received))}
                        reports = [
                            {
                                "id": i,
                                "delivered": i not in provider.undelivered,
                                "code": provider.undelivered.get(i, ""),
                            }
                            for i in body["ids"]
                            if i in known
                        ]
                    self._answer(200, {"reports": reports})
                    return
                if provider.delay_s:
                    address = str(body.get("address", ""))
                    with provider._lock:
                        provider.in_flight += 1
                        provider.max_in_flight = max(provider.max_in_flight, provider.in_flight)
                        if address in provider.busy:
                            provider.overlapped.add(address)  # two sends to one number at once
                        provider.busy.add(address)
                    time.sleep(provider.delay_s)
                    with provider._lock:
                        provider.in_flight -= 1
                        provider.busy.discard(address)
                with provider._lock:
                    failure = provider.failures.pop(0) if provider.failures else None
                    if failure is None:
                        provider.received.append(body)
                        answer, status = {"id": f"{provider.name}-{len(provider.received)}"}, 200
                    else:
                        status, answer = failure[0], {"code": failure[1]}
                self._answer(status, answer)

            def _answer(self, status: int, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def fail_next(self, n: int, status: int, code: str) -> None:
        with self._lock:
            self.failures.extend([(status, code)] * n)

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(b["key"] for b in self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LoopbackChannel:
    """A `Channel` posting to a LoopbackProvider: 200 accepted, 429/5xx/timeout retryable, 401 provider-rejected,
    400 permanent."""

    def __init__(self, url: str, provider: str = "loop", kind: ChannelKind = ChannelKind.SMS, timeout_s: float = 5.0):
        self.url = url
        self._provider = provider
        self._kind = kind
        self.timeout_s = timeout_s

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def kind(self) -> ChannelKind:
        return self._kind

    def send(self, message: OutgoingMessage) -> SendResult:
        payload = {
            "key": message.key,
            "address": message.address,
            "template": message.template,
            "params": dict(message.params),
            "text": message.text,
        }
        request = urllib.request.Request(
            self.url, json.dumps(payload).encode(), {"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return SendResult(SendStatus.ACCEPTED, self._provider, provider_id=json.loads(response.read())["id"])
        except urllib.error.HTTPError as exc:
            code = json.loads(exc.read() or b"{}").get("code", f"http_{exc.code}")
            if exc.code == 400:
                return SendResult(SendStatus.PERMANENT, self._provider, code=code)
            if exc.code == 401:
                return SendResult(SendStatus.PROVIDER_REJECTED, self._provider, code=code)
            return SendResult(SendStatus.RETRYABLE, self._provider, code=code)
        except (TimeoutError, urllib.error.URLError, OSError):
            return SendResult(SendStatus.RETRYABLE, self._provider, code="timeout")

    def receipts(self, accepted: Sequence[tuple[str, str, datetime]]) -> list[Receipt]:
        url = self.url.rsplit("/", 1)[0] + "/receipts"
        body = json.dumps({"ids": [provider_id for provider_id, _, _ in accepted]}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                reports = json.loads(response.read())["reports"]
        except (urllib.error.URLError, OSError):
            return []
        at = datetime.now(UTC)
        return [Receipt(self._provider, r["id"], r["delivered"], at, r["code"] or "") for r in reports]
