"""Health and metrics over HTTP/1.0 on a side port, for the load balancer and for scraping.

GET /health → 200 {"status": "serving", ...} while accepting terminals, 503 once draining (so the load balancer
stops sending new connections). The sink's state is reported but does not fail the check: a sink outage hits
every task alike, and restarting tasks would only drop sessions. GET /metrics → Prometheus text; /metrics.json.
"""

from __future__ import annotations

import asyncio
import json
import logging

from iot_ingest.state import ServerState

log = logging.getLogger(__name__)


class HealthServer:
    """A tiny HTTP responder: one request per connection, bounded request size and time."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        self.server = await asyncio.start_server(self._handle, host, port, limit=4096)
        return int(self.server.sockets[0].getsockname()[1])

    def body(self, path: str) -> tuple[int, str, str]:
        s = self.state
        if path == "/health":
            status = 503 if s.draining else 200
            payload = {
                "status": "draining" if s.draining else "serving",
                "listener": s.listener,
                "connections": len(s.connections),
                "sessions": len(s.sessions),
                "sink_ok": s.handoff.healthy,
                "pending": s.handoff.pending,
            }
            return status, "application/json", json.dumps(payload)
        if path == "/metrics":
            return 200, "text/plain; version=0.0.4", s.metrics.to_prometheus()
        if path == "/metrics.json":
            return 200, "application/json", s.metrics.to_json()
        return 404, "text/plain", "not found\n"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5.0)
            parts = line.decode("latin-1").split()
            if len(parts) < 2 or parts[0] not in ("GET", "HEAD"):
                status, ctype, text = 400, "text/plain", "bad request\n"
            else:
                status, ctype, text = self.body(parts[1].split("?", 1)[0])
            payload = text.encode()
            reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}[status]
            head = (f"HTTP/1.0 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n"
                    "Connection: close\r\n\r\n")  # fmt: skip
            writer.write(head.encode() + (payload if parts and parts[0] != "HEAD" else b""))
            await asyncio.wait_for(writer.drain(), 5.0)
        except (TimeoutError, ConnectionError, ValueError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
