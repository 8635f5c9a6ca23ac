"""An in-memory FrameSink for tests and embedding: keeps every record; can be told to fail or stall."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from iot_ingest.ports import FrameRecord, SinkError


class MemorySink:
    """Records land in `records`. Set `failing` to make puts raise, or clear `gate` to make them hang."""

    def __init__(self) -> None:
        self.records: list[FrameRecord] = []
        self.failing = False
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.closed = False

    async def put(self, records: Sequence[FrameRecord]) -> None:
        self.calls += 1
        await self.gate.wait()
        if self.failing:
            raise SinkError("memory sink told to fail")
        self.records.extend(records)

    async def close(self) -> None:
        self.closed = True
