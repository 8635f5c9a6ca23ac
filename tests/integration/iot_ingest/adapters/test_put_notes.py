"""The listener task's put notes: written before it takes connections, every few seconds, closed when it stops."""

from __future__ import annotations

import asyncio
import time

import pytest

from iot_ingest.adapters.put_notes import PutNoteWriter
from iot_ingest.put_log import PutLog
from monitoring.rules.put_notes import read_note
from monitoring.storage.rules_memory import MemoryRuleState

pytestmark = pytest.mark.integration


def test_a_task_notes_what_it_put_from_its_start_to_its_closed_note() -> None:
    async def scenario() -> None:
        state, log = MemoryRuleState(), PutLog()
        writer = PutNoteWriter(state, log, task="t1", every=0.05)
        # When the task starts, its note is there at once, before anything is put
        await writer.start()
        first = read_note("put:t1", state.get("put:t1") or {})
        assert first.puts == {} and not first.closed and 0 <= first.noted_at - first.floor < 0.001
        # When it puts to a group, a later note says so
        started = log.begin()
        log.went_in(started, ["g5"])
        log.end(started)
        deadline = time.monotonic() + 10
        while "g5" not in read_note("put:t1", state.get("put:t1") or {}).puts:
            assert time.monotonic() < deadline, "no note with the put"
            await asyncio.sleep(0.02)
        # When it stops, the note is closed and keeps the put
        await writer.stop()
        last = read_note("put:t1", state.get("put:t1") or {})
        assert last.closed and last.puts == {"g5": float(int(started))}

    asyncio.run(scenario())
