"""The listener task's put notes: written before it takes connections, every few seconds, closed when it stops."""

from __future__ import annotations

import asyncio
import threading
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
        writer = PutNoteWriter(state, log, task="t1", every=0.05, stream_groups=64)
        # When the task starts, its note is there at once, before anything is put, with its group count
        await writer.start()
        first = read_note("put:t1", state.get("put:t1") or {})
        assert first.puts == {} and not first.closed and 0 <= first.noted_at - first.floor < 0.001
        assert first.stream_groups == 64
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


def test_a_stop_waits_for_a_put_still_running_in_its_thread() -> None:
    async def scenario() -> None:
        state, log = MemoryRuleState(), PutLog()
        writer = PutNoteWriter(state, log, task="t1", every=60)
        await writer.start()
        # Given a PutRecords call still retrying in its thread when the task stops (the sink's drain timed out)
        started = log.begin()
        release = threading.Event()

        def late_put() -> None:
            release.wait(10)
            log.went_in(started, ["g7"])
            log.end(started)

        thread = threading.Thread(target=late_put)
        thread.start()
        asyncio.get_running_loop().call_later(0.3, release.set)
        # When the task stops, the put finishing within the wait
        await writer.stop(wait=10)
        thread.join()
        # Then the closed note is written after it, with its group
        last = read_note("put:t1", state.get("put:t1") or {})
        assert last.closed and last.puts == {"g7": float(int(started))}

    asyncio.run(scenario())


def test_a_stop_leaves_the_note_open_when_a_put_outlasts_the_wait() -> None:
    async def scenario() -> None:
        state, log = MemoryRuleState(), PutLog()
        writer = PutNoteWriter(state, log, task="t1", every=60)
        await writer.start()
        # Given a put that is still running when the wait ends
        started = log.begin()
        await writer.stop(wait=0.2)
        # Then the last note is open, its floor at that put's start: the rules stay held until it is swept
        last = read_note("put:t1", state.get("put:t1") or {})
        assert not last.closed and last.floor <= started
        log.end(started)

    asyncio.run(scenario())
