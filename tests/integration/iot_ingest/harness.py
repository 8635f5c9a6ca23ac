"""A listener on 127.0.0.1 with in-memory ports, and a scripted terminal that speaks HJ 212 through hj212."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import hj212
from iot_ingest.config import Settings
from iot_ingest.memory import MemoryCommandQueue, MemoryDirectory, MemoryEvents, MemoryLeases, TerminalEntry
from iot_ingest.server import Server
from iot_ingest.sinks.memory import MemorySink

MN = "010000A8900016F000169DC0"
PW = "123456"
_QN = hj212.QnGenerator()


def frame(
    mn: str = MN,
    *,
    cn: str = "2011",
    pw: str = PW,
    i: int = 0,
    ack: bool = True,
    version: hj212.Version = hj212.Version.V2017,
    qn: str | None = None,
    cp: Any = None,
) -> bytes:
    """An upload from a terminal with a correct clock (QN = now, UTC+8); `i` makes DataTime unique."""
    when = datetime(2026, 11, 28, 18, 0) + timedelta(seconds=i)
    qn = qn if qn is not None else _QN.next(datetime.now(UTC) + timedelta(hours=8))
    cp = cp if cp is not None else {"DataTime": hj212.format_time(when), "Ia": {"Rtd": "12.3", "Flag": "N"}}
    return hj212.build_frame(st="32", cn=cn, mn=mn, pw=pw, qn=qn, version=version, ack=ack, cp=cp)


@dataclass
class Harness:
    server: Server
    sink: MemorySink
    directory: MemoryDirectory
    commands: MemoryCommandQueue
    leases: MemoryLeases
    events: MemoryEvents

    @property
    def port(self) -> int:
        return self.server.port

    async def connect(self) -> Terminal:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return Terminal(reader, writer)


class Terminal:
    """A scripted terminal: writes bytes, reads frames (decoded with hj212) with a timeout."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = hj212.StreamDecoder()
        self.inbox: list[hj212.Frame] = []

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, timeout: float = 2.0) -> hj212.Frame | None:
        """The next frame from the listener, or None if none arrives within `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.inbox:
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                data = await asyncio.wait_for(self.reader.read(65536), left)
            except TimeoutError:
                return None
            if not data:
                return None
            self.inbox += [f for f in self.decoder.feed(data) if isinstance(f, hj212.Frame)]
        return self.inbox.pop(0)

    async def recv_n(self, n: int, timeout: float = 5.0) -> list[hj212.Frame]:
        out = []
        for _ in range(n):
            f = await self.recv(timeout)
            if f is None:
                break
            out.append(f)
        return out

    async def closed_by_peer(self, timeout: float = 2.0) -> bool:
        try:
            while True:
                data = await asyncio.wait_for(self.reader.read(65536), timeout)
                if not data:
                    return True
        except TimeoutError:
            return False
        except ConnectionError:
            return True

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


def settings(**overrides: Any) -> Settings:
    base = Settings(host="127.0.0.1", port=0, health_port=0, listener_id="test-listener", sink="jsonl:unused")
    return base.model_copy(update=overrides)  # unvalidated: tests use extreme values


@asynccontextmanager
async def running(
    *, terminals: dict[str, TerminalEntry] | None = None, sweep: float = 0.05, **overrides: Any
) -> AsyncIterator[Harness]:
    h = Harness(
        server=None,  # type: ignore[arg-type]
        sink=MemorySink(),
        directory=MemoryDirectory(terminals if terminals is not None else {MN: TerminalEntry(PW)}),
        commands=MemoryCommandQueue(),
        leases=MemoryLeases(),
        events=MemoryEvents(),
    )
    h.server = Server(
        settings(**overrides),
        sink=h.sink,
        directory=h.directory,
        commands=h.commands,
        leases=h.leases,
        events=h.events,
        sweep_interval=sweep,
    )
    await h.server.start()
    try:
        yield h
    finally:
        await h.server.shutdown()


async def until(predicate: Any, timeout: float = 3.0) -> bool:
    """Wait until `predicate()` is true (polling); False on time-out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True
