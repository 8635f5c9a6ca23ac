"""The embedded runner's parts: frame queue, decode loop, timeline, scheduler events, settings."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local.clock import PlatformClock, Timeline, load_timeline
from local.config import ConfigError, load
from local.pipeline import DecodeLoop, kinesis_event
from local.queue import FrameQueue, shard_of
from local.scheduler import boundary_at_or_before, scheduled_event
from local.workers import CONTEXT, Control, DecodeThreadDied, report_until_stopped

pytestmark = pytest.mark.integration


def _record(n: int) -> dict[str, Any]:
    return {"v": 1, "mn": f"MN{n}", "frame": base64.b64encode(b"##0000").decode(), "n": n}


def test_queue_append_take_done_keeps_order_and_survives_reopen(tmp_path: Path) -> None:
    # Given a queue with three committed records
    q = FrameQueue(tmp_path / "q.db")
    q.append([_record(1), _record(2), _record(3)])
    q.close()
    # When it is reopened (a restart) and the first two are processed
    q = FrameQueue(tmp_path / "q.db")
    batch = q.take(2)
    q.done([b.seq for b in batch])
    # Then the third is still there, in order, and the counters add up
    assert [json.loads(b.record)["n"] for b in batch] == [1, 2]
    assert [json.loads(b.record)["n"] for b in q.take(10)] == [3]
    assert q.counters() == {"appended": 3, "processed": 2, "dead": 0}


def test_queue_failed_records_move_to_dead_letters_after_max_attempts(tmp_path: Path) -> None:
    # Given a record that fails every time
    q = FrameQueue(tmp_path / "q.db")
    q.append([_record(1)])
    seq = q.take(1)[0].seq
    # When it fails three times with max_attempts 3
    moved = [q.failed([seq], max_attempts=3, reason="boom") for _ in range(3)]
    # Then only the third failure dead-letters it, and the queue is empty
    assert moved == [0, 0, 1] and q.depth() == 0 and q.counters()["dead"] == 1


def test_decode_loop_keeps_records_the_handler_reports_failed(tmp_path: Path) -> None:
    # Given two queued records and a handler that fails the second one
    q = FrameQueue(tmp_path / "q.db")
    q.append([_record(1), _record(2)])
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        second = event["Records"][1]["kinesis"]["sequenceNumber"]
        return {"batchItemFailures": [{"itemIdentifier": second}]}

    # When one batch runs
    DecodeLoop(q, handler, batch_size=10).run_once()
    # Then the handler saw a Kinesis-shaped event whose data is the record, and only the failed one is left
    data = json.loads(base64.b64decode(seen[0]["Records"][0]["kinesis"]["data"]))
    assert data["n"] == 1 and seen[0]["Records"][0]["kinesis"]["partitionKey"] == "MN1"
    assert [json.loads(b.record)["n"] for b in q.take(10)] == [2]


def test_decode_loop_handler_exception_leaves_the_whole_batch_queued(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "q.db")
    q.append([_record(1), _record(2)])

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("store down")

    loop = DecodeLoop(q, handler)
    loop.run_once()
    assert q.depth() == 2 and loop.failures == 1


def test_decode_loop_does_its_idle_work_between_batches_and_once_more_at_its_stop(tmp_path: Path) -> None:
    # Given a loop over an empty queue whose idle work (decode: the liveness sheets) fails at first
    q = FrameQueue(tmp_path / "q.db")
    calls: list[bool] = []

    def idle(stopping: bool) -> None:
        calls.append(stopping)
        if len(calls) == 1:
            raise RuntimeError("sheet store down")

    loop = DecodeLoop(q, lambda event, context: {}, idle_wait=0.01, on_idle=idle, idle_every_s=0.05)
    loop.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Then it kept going after the failure, at most once per idle_every_s
    assert loop.running() and calls[:3] == [False, False, False]
    # And at the stop it runs once more, told so
    loop.stop(5)
    assert not loop.running() and calls[-1] is True and calls.count(True) == 1


def test_a_decode_loop_told_not_to_drain_stops_after_its_batch_and_still_does_its_stop_work(tmp_path: Path) -> None:
    # Given a backlog of 50 records decoded one slow batch at a time
    q = FrameQueue(tmp_path / "q.db")
    q.append([_record(n) for n in range(50)])
    calls: list[bool] = []

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(0.05)
        return {}

    loop = DecodeLoop(q, slow, batch_size=5, idle_wait=0.01, on_idle=calls.append)
    loop.start()
    time.sleep(0.12)
    # When the worker's drain time is up (decode_main: DRAIN_TIMEOUT_S)
    loop.drain_on_stop = False
    loop.stop(5)
    # Then it stopped with the backlog left queued, after its stop work
    assert not loop.running() and q.depth() > 0 and calls == [True]


def test_kinesis_event_sequence_numbers_are_queue_positions(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "q.db")
    q.append([_record(7)])
    event = kinesis_event(q.take(1), 0.0)
    assert event["Records"][0]["eventSource"] == "aws:kinesis"
    assert event["Records"][0]["kinesis"]["sequenceNumber"] == str(q.take(1)[0].seq)


def test_timeline_is_kept_in_the_data_directory_across_restarts(tmp_path: Path) -> None:
    # Given a first start at ×60 from a chosen time
    start = datetime(2026, 11, 30, 8, tzinfo=UTC)
    first = load_timeline(tmp_path, accel=60, sim_start=start)
    # When the platform restarts (accel given again or not)
    again = load_timeline(tmp_path, accel=1.0, sim_start=None)
    # Then the same timeline continues, and another accel is refused
    assert first == again
    with pytest.raises(ValueError):
        load_timeline(tmp_path, accel=10, sim_start=None)


def test_platform_clock_runs_accel_times_faster_in_utc() -> None:
    wall = [1000.0]
    tl = Timeline(datetime(2026, 11, 30, 8, tzinfo=UTC), 1000.0, 60.0)
    clock = PlatformClock(tl, wall=lambda: wall[0])
    wall[0] += 2
    assert clock.now() == datetime(2026, 11, 30, 8, 2, tzinfo=UTC)
    assert clock.wall_delay(datetime(2026, 11, 30, 8, 3, tzinfo=UTC)) == pytest.approx(1.0)


def test_scheduled_event_time_is_utc_boundary() -> None:
    china = datetime(2026, 11, 30, 8, 3, 30, tzinfo=UTC) + timedelta(0)
    tick = boundary_at_or_before(china, timedelta(minutes=5))
    assert tick == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert scheduled_event(tick, "r")["time"] == "2026-11-30T08:00:00Z"


def test_settings_precedence_option_over_env_over_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[local]\ndata_dir = "a"\nport = 9100\naccel = 5\n[iot_ingest]\nmax_connections = 10\n')
    settings, ingest = load({"port": "9300"}, env={"LOCAL_PORT": "9200", "LOCAL_ACCEL": "7"}, config_file=str(cfg))
    assert (settings.data_dir, settings.port, settings.accel) == ("a", 9300, 7.0)
    assert ingest == {"max_connections": 10}


@pytest.mark.parametrize(
    ("cli", "message"),
    [
        ({}, "data_dir"),
        ({"data_dir": "d", "port": "x"}, "port"),
        ({"data_dir": "d", "sim_start": "2026-11-30"}, "offset"),
    ],
)
def test_settings_bad_values_name_the_setting(cli: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(cli, env={})


def test_config_file_unknown_key_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[local]\ndata_dirr = "a"\n')
    with pytest.raises(ConfigError, match="data_dirr"):
        load({}, env={}, config_file=str(cfg))


def test_queue_depth_from_counters_equals_the_rows_queued(tmp_path: Path) -> None:
    q = FrameQueue(tmp_path / "q.db")

    def rows() -> int:
        return int(q._conn.execute("SELECT count(*) FROM frames").fetchone()[0])

    assert q.depth() == rows() == 0
    q.append([_record(n) for n in range(5)])
    assert q.depth() == rows() == 5
    first = q.take(2)
    q.done([b.seq for b in first])
    assert q.depth() == rows() == 3
    poison = q.take(1)
    for _ in range(2):
        q.failed([poison[0].seq], max_attempts=2, reason="bad")
    assert q.depth() == rows() == 2 and q.counters()["dead"] == 1
    q.close()
    assert FrameQueue(tmp_path / "q.db").depth() == 2


def test_queue_shards_split_the_terminals_and_keep_each_terminals_order(tmp_path: Path) -> None:
    # Given records of many terminals, several per terminal
    q = FrameQueue(tmp_path / "q.db")
    q.append([{**_record(n), "mn": f"MN{n % 7}"} for n in range(28)])
    # When two decode workers each take their shard
    parts = [q.take(100, shard=k, shards=2) for k in (0, 1)]
    # Then every record is in exactly one shard, each terminal in one shard only, in queue order
    seqs = [b.seq for part in parts for b in part]
    assert sorted(seqs) == [b.seq for b in q.take(100)]
    assert not {b.mn for b in parts[0]} & {b.mn for b in parts[1]}
    assert all([b.seq for b in part] == sorted(b.seq for b in part) for part in parts)
    assert all(part for part in parts)  # 7 terminals: both shards have work
    assert {b.mn for b in parts[1]} == {f"MN{i}" for i in range(7) if shard_of(f"MN{i}", 2) == 1}


def _worker_ends(tmp_path: Path, handler: Any) -> tuple[DecodeLoop, Any, Any]:
    """A decode loop over a real queue holding one record, and the decode worker's end of a real control pipe."""
    q = FrameQueue(tmp_path / "q.db")
    q.append([_record(1)])
    loop = DecodeLoop(q, handler, idle_wait=0.05)
    ours, theirs = CONTEXT.Pipe(duplex=False)
    return loop, Control(ours), theirs


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread's death is the point
def test_the_decode_worker_gives_up_reporting_when_its_decode_thread_died(tmp_path: Path) -> None:
    # Given a decode loop whose handler ends its thread (SystemExit is not an Exception: the loop does not catch it)
    def exits(event: dict[str, Any], context: Any) -> Any:
        raise SystemExit("a library called sys.exit")

    loop, control, _keep = _worker_ends(tmp_path, exits)
    loop.start()
    reports: list[float] = []
    # When the worker's main thread reports status meanwhile
    started = time.monotonic()
    with pytest.raises(DecodeThreadDied):
        report_until_stopped(loop, control, lambda: reports.append(time.monotonic()), 0.1)
    # Then it stops reporting (the worker exits and is restarted) instead of looking healthy forever
    assert time.monotonic() - started < 10 and not loop.running()


def test_the_decode_worker_reports_until_the_stop_order_while_its_thread_runs(tmp_path: Path) -> None:
    # Given a decode loop that works
    loop, control, theirs = _worker_ends(tmp_path, lambda event, context: {"batchItemFailures": []})
    loop.start()
    reports: list[float] = []
    # When the parent closes its end of the control pipe (the stop order) after a while
    closer = threading.Timer(0.5, theirs.close)
    closer.start()
    report_until_stopped(loop, control, lambda: reports.append(time.monotonic()), 0.1)
    # Then the worker reported meanwhile and returned without an error; its thread still runs (to drain)
    assert len(reports) >= 2 and loop.running()
    loop.stop(5.0)


def test_a_start_with_reading_buckets_off_retires_the_buffer(tmp_path: Path) -> None:
    from functions import _wiring
    from local.app import Platform
    from local.reading_buffer import BUFFER_FILE, ReadingBuffer
    from monitoring.clock import FixedClock

    # Given a reading buffer alive a moment ago (buckets were on), all of it flushed
    at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    clock = FixedClock(at)
    path = tmp_path / BUFFER_FILE
    ReadingBuffer(path, lambda p, t: t.replace(second=0, microsecond=0), 1, clock).close()
    # When the platform is started with buckets off (decode writes per-minute items from now on)
    settings, _ = load({"data_dir": str(tmp_path), "api": "false"}, env={})
    platform = Platform(settings)
    try:
        platform._build()
    finally:
        platform.queue.close()
        platform.store.close()
        _wiring.configure(None)
    # Then the file is not alive: switched on again even a minute later, its horizon starts over
    clock.advance(timedelta(minutes=1))
    assert ReadingBuffer(path, lambda p, t: t.replace(second=0, microsecond=0), 1, clock).complete_since == clock.now()
