"""A fake transport (writes collected in `.buffer`) and a fake loop clock, as uvicorn's protocol tests use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import hj212
from iot_ingest.config import Settings
from iot_ingest.handoff import Handoff
from iot_ingest.memory import MemoryDirectory, MemoryEvents, TerminalEntry
from iot_ingest.metrics import Metrics
from iot_ingest.protocol import IngestProtocol
from iot_ingest.sinks.memory import MemorySink
from iot_ingest.state import ServerState

MN, PW = "MN0001", "123456"
WALL = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)  # 18:00:00 terminal time


class FakeTransport(asyncio.Transport):
    def __init__(self, protocol: asyncio.Protocol | None = None, high: int = 1 << 30) -> None:
        super().__init__()
        self.buffer = b""
        self.closed = self.aborted = self.eof_written = False
        self.reading = True
        self.protocol = protocol
        self.high = high
        self.writes = 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("10.0.0.1", 50122) if name == "peername" else default

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.buffer += bytes(data)
        self.writes += 1
        if len(self.buffer) > self.high and self.protocol is not None:
            self.protocol.pause_writing()

    def frames(self) -> list[hj212.Frame]:
        out = [f for f in hj212.StreamDecoder().feed(self.buffer) if isinstance(f, hj212.Frame)]
        self.buffer = b""
        return out

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = self.aborted = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof_written = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


class FakeLoop:
    """The protocol's loop: a settable clock; tasks go to the real running loop; call_later is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.later: list[tuple[float, Callable[..., Any]]] = []

    def time(self) -> float:
        return self.now

    def create_task(self, coro: Any) -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(coro)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> asyncio.Handle:
        return asyncio.get_running_loop().call_soon(callback, *args)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        self.later.append((delay, callback))


class Rig:
    """A protocol wired to a fake transport and loop, with in-memory ports. Create inside a running loop."""

    def __init__(self, *, wall: datetime = WALL, high: int = 1 << 30, **overrides: Any) -> None:
        base = Settings(listener_id="unit", sink="jsonl:unused", batch_linger=0)
        self.settings = base.model_copy(update=overrides)  # unvalidated, as tests need extreme values
        self.sink = MemorySink()
        self.events = MemoryEvents()
        self.metrics = Metrics()
        self.handoff = Handoff(self.sink, self.metrics, linger=0)
        self.handoff.start()
        self.wall = wall
        self.state = ServerState(
            self.settings,
            handoff=self.handoff,
            directory=MemoryDirectory({MN: TerminalEntry(PW)}),
            events=self.events,
            metrics=self.metrics,
            wall=lambda: self.wall,
        )
        self.loop = FakeLoop()
        self.proto = IngestProtocol(self.state, _loop=self.loop)  # type: ignore[arg-type]
        self.transport = FakeTransport(self.proto, high=high)
        self.proto.connection_made(self.transport)

    async def settle(self) -> None:
        for _ in range(20):
            await asyncio.sleep(0)
        await self.handoff.drain(1.0)
        for _ in range(5):
            await asyncio.sleep(0)


def upload(*, qn: str = "20261128180000000", cn: str = "2011", pw: str = PW, ack: bool = True, i: int = 0) -> bytes:
    return hj212.build_frame(
        st="32", cn=cn, mn=MN, pw=pw, qn=qn, ack=ack, cp={"DataTime": f"202611281800{i:02d}", "Ia": {"Rtd": "1"}}
    )
