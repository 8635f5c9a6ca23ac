"""Hand-off: batching, futures resolve only after the sink returns, failures propagate, saturation refuses."""

from __future__ import annotations

import asyncio

import pytest

from iot_ingest.handoff import Handoff, HandoffFull
from iot_ingest.metrics import Metrics
from iot_ingest.ports import SinkError
from iot_ingest.sinks.memory import MemorySink

pytestmark = pytest.mark.unit


def test_handoff_batches_records_and_resolves_after_put() -> None:
    async def scenario() -> None:
        # Given a hand-off over a memory sink
        sink = MemorySink()
        h = Handoff(sink, Metrics(), batch_max=10, linger=0.001)
        h.start()
        # When 25 records are submitted at once
        futures = [h.submit({"n": i}) for i in range(25)]
        await asyncio.gather(*futures)
        # Then all are in the sink, in order, in 3 calls
        assert [r["n"] for r in sink.records] == list(range(25))
        assert sink.calls == 3
        assert await h.drain(1.0) and h.pending == 0
        await h.stop()

    asyncio.run(scenario())


def test_handoff_future_not_done_while_sink_stalls() -> None:
    async def scenario() -> None:
        sink = MemorySink()
        sink.gate.clear()
        h = Handoff(sink, Metrics(), linger=0)
        h.start()
        f = h.submit({"n": 1})
        await asyncio.sleep(0.02)
        assert not f.done() and h.pending == 1  # nothing is confirmed while the sink has not returned
        sink.gate.set()
        await f
        await h.stop()

    asyncio.run(scenario())


def test_handoff_sink_failure_fails_every_future_then_recovers() -> None:
    async def scenario() -> None:
        metrics = Metrics()
        sink = MemorySink()
        sink.failing = True
        h = Handoff(sink, metrics, linger=0)
        h.start()
        bad = [h.submit({"n": i}) for i in range(3)]
        results = await asyncio.gather(*bad, return_exceptions=True)
        assert all(isinstance(r, SinkError) for r in results)
        assert not h.healthy and metrics.get("errors", "sink_failed") == 3
        sink.failing = False
        await h.submit({"n": 9})
        assert h.healthy and [r["n"] for r in sink.records] == [9]
        await h.stop()

    asyncio.run(scenario())


def test_a_lasting_sink_failure_is_logged_once_a_period_not_once_per_batch(caplog: pytest.LogCaptureFixture) -> None:
    # An alarm counting "sink failed" lines per minute must stay in ALARM while the failure lasts
    async def scenario() -> None:
        sink = MemorySink()
        sink.failing = True
        h = Handoff(sink, Metrics(), linger=0, failure_log_every_s=0.2)
        h.start()
        for _ in range(8):  # a failing batch every 0.05 s for 0.4 s
            await asyncio.gather(h.submit({"n": 1}), return_exceptions=True)
            await asyncio.sleep(0.05)
        sink.failing = False
        await h.submit({"n": 2})
        sink.failing = True  # a new failure after recovery is logged at once
        await asyncio.gather(h.submit({"n": 3}), return_exceptions=True)
        await h.stop()

    with caplog.at_level("INFO", logger="iot_ingest.handoff"):
        asyncio.run(scenario())
    lines = [r.getMessage().split(";")[0] for r in caplog.records]
    assert lines in (["sink failed"] * 2 + ["sink recovered", "sink failed"],
                     ["sink failed"] * 3 + ["sink recovered", "sink failed"])  # fmt: skip
    assert caplog.records[1].fields["failing_s"] >= 0.2  # type: ignore[attr-defined]


def test_handoff_slow_sink_times_out_as_failure() -> None:
    async def scenario() -> None:
        metrics = Metrics()
        sink = MemorySink()
        sink.gate.clear()
        h = Handoff(sink, metrics, linger=0, timeout=0.01)
        h.start()
        with pytest.raises(SinkError, match="sink_timeout"):
            await h.submit({"n": 1})
        assert metrics.get("errors", "sink_timeout") == 1
        await h.stop()

    asyncio.run(scenario())


def test_handoff_refuses_when_pending_limit_reached() -> None:
    async def scenario() -> None:
        sink = MemorySink()
        sink.gate.clear()
        h = Handoff(sink, Metrics(), linger=0, max_pending=2)
        h.start()
        h.submit({"n": 1})
        h.submit({"n": 2})
        with pytest.raises(HandoffFull):
            h.submit({"n": 3})
        await h.stop()

    asyncio.run(scenario())


def test_handoff_stop_fails_unconfirmed_futures() -> None:
    async def scenario() -> None:
        sink = MemorySink()
        sink.gate.clear()
        h = Handoff(sink, Metrics(), linger=0)
        h.start()
        f = h.submit({"n": 1})
        await asyncio.sleep(0.01)
        assert not await h.drain(0.01)
        await h.stop()
        assert isinstance(f.exception(), SinkError)

    asyncio.run(scenario())
