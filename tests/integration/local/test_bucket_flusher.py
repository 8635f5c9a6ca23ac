"""On DynamoDB Local: the county host's reading buffer, BufferedReadings and the bucket flusher.

Reads within the buffer's horizon make no DynamoDB request; older windows merge DynamoDB's buckets with the buffer;
only closed buckets are written, spread over the minutes by each point's offset; a crash between the merge and the
mark is redone without duplicates; a late reading joins its flushed bucket; a redelivered old reading is a
duplicate; a failed flush is logged (the HostWorkerFailures line) and kept for the next pass.
"""

from __future__ import annotations

import logging
import random
import socket
import sqlite3
import string
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local.bucket_flusher import BUCKET_FLUSH_FAILED, REFUSED_RETRY, TOO_LARGE, BucketFlusher
from local.reading_buffer import KEEP, BufferedReadings, DueBucket, ReadingBuffer
from monitoring.clock import FixedClock
from monitoring.readings.models import Aggregate, AggregatePeriod, Reading, ReadingKind
from monitoring.readings.rollup import rollup_hour
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.models import Connection
from monitoring.storage.dynamodb.reading_buckets import bucket_start
from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository
from monitoring.storage.retention import RetentionPolicy
from tests.support.dynamodb_tables import fresh_backend

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
MINUTES = 5
MINUTE = timedelta(minutes=1)


def reading(point: str, at: datetime, kind: ReadingKind = ReadingKind.MINUTE, ua: float = 230.0) -> Reading:
    return Reading(point, at, kind, {"ua": ua, "p": 4.5}, {"ua": "N", "p": "N"}, {}, "MN01", at + timedelta(seconds=3))


def minutes(point: str, first: int, last: int) -> list[Reading]:
    return [reading(point, T0 + m * MINUTE) for m in range(first, last)]


class Killed(BaseException):
    """The process dies here (not an error the flusher could handle)."""


class Host:
    """A county host's readings: the buffer, DynamoDB's readings (buckets read), BufferedReadings, the flusher."""

    def __init__(self, backend: DynamoDBBackend, path: Path) -> None:
        self.backend, self.clock = backend, FixedClock(T0)
        store = backend.store(retention=RetentionPolicy(minute_days=35), clock=self.clock, reading_buckets=True)
        assert isinstance(store.readings, DynamoDBReadingsRepository)
        self.dynamo: DynamoDBReadingsRepository = store.readings
        self.buffer = ReadingBuffer(path, lambda p, at: bucket_start(p, at, MINUTES), MINUTES, self.clock)
        self.readings = BufferedReadings(self.buffer, self.dynamo, self.clock, future_tolerance=timedelta(hours=1))
        self.flusher = BucketFlusher(self.buffer, self.dynamo, grace_s=60)

    def requests(self) -> int:
        return self.backend.meter.total().requests

    def items(self, prefix: str) -> list[dict[str, Any]]:
        table = f"{self.backend.table_prefix}-readings"
        found = self.backend.client.scan(TableName=table)["Items"]
        return [i for i in found if i["pk"]["S"].startswith(prefix)]

    def flush_at(self, at: datetime) -> Any:
        self.clock.set(at)
        return self.flusher.flush_due(at)


@pytest.fixture
def host(dynamodb_local_url: str, fake_aws_env: None, tmp_path: Path) -> Iterator[Host]:
    with fresh_backend(dynamodb_local_url, "bf") as backend:
        yield Host(backend, tmp_path / "readings.db")


def test_the_rules_reads_within_the_horizon_make_no_dynamodb_request(host: Host) -> None:
    # Given minute and real-time readings put through BufferedReadings (decode's put), and an hour reading
    host.clock.set(T0 + 20 * MINUTE)
    assert host.readings.put_readings(minutes("p1", 0, 20) + [reading("p1", T0, ReadingKind.REALTIME)]) == [True] * 21
    host.backend.meter.reset()
    # When the rules read windows the buffer holds (their sample reader's calls) and the newest reading
    window = (T0, T0 + 20 * MINUTE)
    assert len(host.readings.settled_readings("p1", ReadingKind.MINUTE, *window)) == 20
    keyed = host.readings.settled_readings_keyed("p1", ReadingKind.MINUTE, *window, known=set())
    assert [r.data_time for _, r in keyed if r is not None] == [T0 + m * MINUTE for m in range(20)]
    assert host.readings.latest("p1", ReadingKind.MINUTE) == reading("p1", T0 + 19 * MINUTE)
    # Then DynamoDB saw no request at all, and nothing was written to it yet (the buckets are not flushed)
    assert host.requests() == 0
    assert host.items("rd#") == [] and host.items("rb#") == []
    # And what feeds stored figures (roll-ups, reports: `readings`, `values`) merges DynamoDB with the buffer
    assert len(host.readings.readings("p1", ReadingKind.MINUTE, *window)) == 20
    assert len(host.readings.values("p1", ReadingKind.MINUTE, *window, ["ua"])) == 20
    assert host.readings.readings("p1", ReadingKind.REALTIME, *window) == [reading("p1", T0, ReadingKind.REALTIME)]
    assert host.requests() > 0
    # And what the buffer does not hold goes straight through: an hour reading, an aggregate
    hour = reading("p1", T0, ReadingKind.HOUR)
    assert host.readings.put_readings([hour]) == [True]
    host.readings.put_aggregate(Aggregate("p1", AggregatePeriod.HOUR, T0, samples=60, stats={}))
    assert [i["pk"]["S"] for i in host.items("rd#")] == ["rd#p1#hour"]
    assert host.readings.readings("p1", ReadingKind.HOUR, *window) == [hour]
    assert len(host.readings.aggregates("p1", AggregatePeriod.HOUR, T0, T0 + 60 * MINUTE)) == 1


def test_only_closed_buckets_are_written_and_their_closes_are_spread_over_the_minutes(host: Host) -> None:
    points = [f"pt-{i:03d}" for i in range(40)]
    host.clock.set(T0 + 15 * MINUTE)
    host.readings.put_readings([r for p in points for r in minutes(p, 0, 15)])
    written_by_minute = []
    for m in range(1, 16):
        now = T0 + m * MINUTE
        report = host.flush_at(now)
        # every bucket written has ended a minute (the grace) before now; none of them is still open
        for item in host.items("rb#"):
            start = datetime.fromisoformat(item["sk"]["S"])
            assert start + MINUTES * MINUTE + MINUTE <= now  # its end plus the grace
        written_by_minute.append(report.buckets)
    # Then buckets closed at several different minutes (each point's offset), not all at once every 5 minutes
    assert sum(1 for n in written_by_minute if n) >= 4, written_by_minute
    assert max(written_by_minute) < len(points), written_by_minute
    # and every closed bucket was written once, as a bucket item; no per-minute item
    assert host.items("rd#") == []
    assert len(host.items("rb#")) == sum(written_by_minute)
    # what DynamoDB now holds, read with buckets on, is every reading of the closed buckets
    p = points[0]
    stored = host.dynamo.readings(p, ReadingKind.MINUTE, T0, T0 + 15 * MINUTE)
    closed_before = T0 + 14 * MINUTE  # due at 02:15 means ended by 02:14
    expected = [r for r in minutes(p, 0, 15) if bucket_start(p, r.data_time, MINUTES) + 5 * MINUTE <= closed_before]
    assert stored == expected and expected


def test_a_crash_between_the_merge_and_the_mark_is_redone_without_duplicates(host: Host) -> None:
    host.clock.set(T0 + 10 * MINUTE)
    host.readings.put_readings(minutes("p1", 0, 10))
    crashed: list[DueBucket] = []

    def crash(bucket: DueBucket) -> None:
        crashed.append(bucket)
        raise Killed("killed between the merge and the mark")  # nothing after it runs, as with kill -9

    host.flusher.before_mark = crash
    with pytest.raises(Killed):
        host.flush_at(T0 + 12 * MINUTE)
    assert host.buffer.counts()["unflushed"] == 10  # nothing marked
    host.flusher.before_mark = None
    report = host.flush_at(T0 + 12 * MINUTE)
    # the bucket merged before the crash is merged again: nothing new, so nothing written
    assert report.buckets >= 1 and report.new == report.readings - len(host.buffer.bucket_rows(crashed[0]))
    start = crashed[0].start
    [item] = [i for i in host.items("rb#") if datetime.fromisoformat(i["sk"]["S"]) == start]
    assert item["v"]["N"] == "1"  # written once: the redone merge found nothing new and did not put
    times = host.dynamo.bucket_times("p1", ReadingKind.MINUTE, start)
    assert times == {r.data_time for r in minutes("p1", 0, 10) if start <= r.data_time < start + MINUTES * MINUTE}
    got = host.dynamo.readings("p1", ReadingKind.MINUTE, T0, T0 + 10 * MINUTE)
    assert len(got) == len({r.data_time for r in got})  # no reading twice


def test_a_late_reading_joins_its_flushed_bucket_and_an_old_redelivery_is_a_duplicate(host: Host) -> None:
    # Given a flushed bucket whose rows have since been pruned (the clock is past the buffer's horizon)
    host.clock.set(T0 + 10 * MINUTE)
    readings = [r for m, r in enumerate(minutes("p1", 0, 10)) if m != 3]  # minute 3 is late
    host.readings.put_readings(readings)
    host.flush_at(T0 + 20 * MINUTE)  # every bucket of these minutes has closed
    later = T0 + 20 * MINUTE + KEEP + 10 * MINUTE
    assert host.flush_at(later).pruned == len(readings)
    assert host.buffer.rows() == 0
    late, again = reading("p1", T0 + 3 * MINUTE), reading("p1", T0 + 4 * MINUTE)
    # When the late reading arrives and an old frame is delivered again
    host.backend.meter.reset()
    assert host.readings.put_readings([late, again, late]) == [True, False, False]
    assert host.requests() == 1  # one GetItem for their one bucket (the file was used with one bucket size only)
    # Then only the late one waits in the buffer, and the next pass merges it into the bucket already stored
    assert (host.buffer.rows(), host.buffer.counts()["unflushed"]) == (1, 1)
    report = host.flush_at(later + MINUTE)
    assert (report.buckets, report.new) == (1, 1)
    stored = host.dynamo.readings("p1", ReadingKind.MINUTE, T0, T0 + 10 * MINUTE)
    assert [r.data_time for r in stored] == [T0 + m * MINUTE for m in range(10)]
    # And a window older than the horizon reads DynamoDB merged with the buffer
    assert host.readings.readings("p1", ReadingKind.MINUTE, T0, T0 + 10 * MINUTE) == minutes("p1", 0, 10)
    assert host.readings.latest("p1", ReadingKind.MINUTE) == reading("p1", T0 + 9 * MINUTE)


def test_a_failed_flush_is_logged_and_kept_for_the_next_pass(
    host: Host, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    host.clock.set(T0 + 10 * MINUTE)
    host.readings.put_readings(minutes("p1", 0, 10))
    with socket.socket() as probe:  # DynamoDB unreachable: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = Connection(region="cn-north-1", host=f"http://127.0.0.1:{port}", aws_access_key_id="l",
                      aws_secret_access_key="l", max_retry_attempts=0, connect_timeout_seconds=1)  # fmt: skip
    down = DynamoDBBackend(conn, host.backend.table_prefix)
    try:
        failing = BucketFlusher(host.buffer, down.store(clock=host.clock).readings)  # type: ignore[arg-type]
        with caplog.at_level(logging.ERROR, logger="local.buckets"):
            report = failing.flush_logged(T0 + 12 * MINUTE)
        assert report.error and failing.last_error == report.error
        assert [r.getMessage() for r in caplog.records] == [BUCKET_FLUSH_FAILED]
    finally:
        down.close()
    assert host.buffer.counts()["unflushed"] == 10  # kept
    report = host.flusher.flush_logged(T0 + 13 * MINUTE)  # DynamoDB back: the next pass writes them
    assert not report.error and report.new == report.readings > 0


def test_a_backlog_of_buckets_is_worked_off_in_bounded_passes(host: Host) -> None:
    # Given an hour of one point's readings that nothing flushed (DynamoDB was down): 12 or 13 closed buckets
    host.clock.set(T0 + 70 * MINUTE)  # the last of them (offset up to 4 minutes) ended with its grace
    host.readings.put_readings(minutes("p1", 0, 60))
    bounded = BucketFlusher(host.buffer, host.dynamo, grace_s=60, per_pass=5)
    # When the flusher runs: each pass takes at most per_pass buckets and says whether more wait
    passes = []
    while True:
        report = bounded.flush_due(host.clock.now())
        passes.append(report.buckets)
        if not report.more:
            break
    # Then every bucket was written once, in passes of at most five
    assert max(passes) == 5 and sum(passes) == len(host.items("rb#")) >= 12
    assert host.dynamo.readings("p1", ReadingKind.MINUTE, T0, T0 + 60 * MINUTE) == minutes("p1", 0, 60)


def test_a_bucket_too_large_for_one_item_is_written_one_item_each_and_the_others_go_on(
    host: Host, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a point whose real-time readings carry large raw texts (random: deflate cannot shrink them), a bucket
    # beyond DynamoDB's item limit, and another point's ordinary minute readings
    rng = random.Random(7)
    host.clock.set(T0 + 20 * MINUTE)
    huge = [
        Reading("big", T0 + timedelta(seconds=s), ReadingKind.REALTIME, {"ua": 1.0}, {"ua": "N"},
                {"Xa01": {"Rtd": "".join(rng.choices(string.ascii_letters, k=3000))}}, "MN02")
        for s in range(0, 600)
    ]  # a reading a second for 10 minutes: ≈ 0.7 MB in each full 5-minute bucket  # fmt: skip
    host.readings.put_readings(huge + minutes("p1", 0, 5))
    # When the flusher runs
    with caplog.at_level(logging.WARNING, logger="local.buckets"):
        report = host.flusher.flush_logged(T0 + 20 * MINUTE)
    # Then nothing failed: the big buckets' readings went one item each (a warning says so), the ordinary one as a
    # bucket, and every row is flushed, so the buffer can let them go
    assert not report.error and report.new == report.readings == 600 + 5
    assert {r.getMessage() for r in caplog.records} == {TOO_LARGE}
    assert host.buffer.counts()["unflushed"] == 0
    starts = {bucket_start("big", r.data_time, MINUTES) for r in huge}
    as_items = [at for at in starts if not host.dynamo.bucket_times("big", ReadingKind.REALTIME, at)]
    assert as_items and len(as_items) < len(starts)  # the full buckets (a partial first or last one fits)
    assert host.dynamo.bucket_times("p1", ReadingKind.MINUTE, bucket_start("p1", T0, MINUTES))
    assert host.dynamo.readings("big", ReadingKind.REALTIME, T0, T0 + 10 * MINUTE) == huge
    # And a redelivery of them is a duplicate
    assert host.flusher.repo.put_bucket_as_items("big", ReadingKind.REALTIME, bucket_start("big", T0, MINUTES),
                                                 huge[:10]) == 0  # fmt: skip


def test_a_reading_too_large_for_any_item_is_refused_kept_and_named(
    host: Host, caplog: pytest.LogCaptureFixture
) -> None:
    # Given one real-time reading whose raw text alone passes DynamoDB's item limit, and an ordinary point
    rng = random.Random(8)
    host.clock.set(T0 + 20 * MINUTE)
    giant = Reading("giant", T0, ReadingKind.REALTIME, {"ua": 1.0}, {"ua": "N"},
                    {"Xa01": {"Rtd": "".join(rng.choices(string.ascii_letters, k=600_000))}}, "MN03")  # fmt: skip
    host.readings.put_readings([giant, *minutes("p1", 0, 5)])
    # When the flusher runs
    with caplog.at_level(logging.ERROR, logger="local.buckets"):
        report = host.flusher.flush_logged(T0 + 20 * MINUTE)
    # Then the ordinary bucket is written; the giant one is named in the failure line and kept for the operator
    assert report.buckets >= 1 and "giant/realtime" in report.error and "bucket(s) refused" in report.error
    assert [r.getMessage() for r in caplog.records] == [BUCKET_FLUSH_FAILED]
    assert host.dynamo.readings("p1", ReadingKind.MINUTE, T0, T0 + 5 * MINUTE)
    assert host.buffer.counts()["unflushed"] == 1 and not host.items("rd#giant") and not host.items("rb#giant")


def test_an_old_redelivery_after_a_bucket_size_change_is_a_duplicate(host: Host, tmp_path: Path) -> None:
    # Given half an hour flushed in 5-minute buckets and pruned from the buffer
    host.clock.set(T0 + 30 * MINUTE)
    old = minutes("p2", 0, 30)
    assert all(host.readings.put_readings(old))
    host.flush_at(T0 + 40 * MINUTE)
    later = T0 + 40 * MINUTE + KEEP + 10 * MINUTE
    host.flush_at(later)
    assert host.buffer.rows() == 0
    host.buffer.close()
    # When the host runs with 15-minute buckets (the same file) and the terminal sends the same half hour again
    fifteen = ReadingBuffer(tmp_path / "readings.db", lambda p, at: bucket_start(p, at, 15), 15, host.clock)
    assert fifteen.sizes == (15, 5)
    readings = BufferedReadings(fifteen, host.dynamo, host.clock, future_tolerance=timedelta(hours=1))
    # Then every reading is a duplicate (found in its 5-minute bucket), and none is written to a second bucket
    assert readings.put_readings(old) == [False] * 30
    assert fifteen.rows() == 0


def test_the_roll_up_sees_minute_items_written_behind_the_buffers_back(host: Host) -> None:
    # Given an hour whose readings the buffer holds, and per-minute items the API Lambda's bind-time re-decode
    # wrote into DynamoDB for a newly bound point inside the buffer's horizon
    host.clock.set(T0 + 70 * MINUTE)
    host.readings.put_readings(minutes("p1", 0, 60))
    assert all(host.dynamo.put_readings(minutes("bound", 0, 60)))
    store = replace(host.backend.store(clock=host.clock, reading_buckets=True), readings=host.readings)
    # When decode's scheduled hourly roll-up runs on the host
    aggregates = [rollup_hour(store, p, T0, host.clock) for p in ("p1", "bound")]
    # Then both hours are complete
    assert [a.samples for a in aggregates] == [60, 60]
    # And the rules' hot read stays the buffer's alone (the pre-binding minutes: a gap to them, never a stop)
    assert host.readings.settled_readings("bound", ReadingKind.MINUTE, T0, T0 + 60 * MINUTE) == []


def test_a_catch_up_is_paced(host: Host) -> None:
    # Given 20 points' closed buckets waiting (DynamoDB was down)
    host.clock.set(T0 + 12 * MINUTE)
    host.readings.put_readings([r for i in range(20) for r in minutes(f"pc-{i}", 0, 5)])
    waited: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    def monotonic() -> float:
        now[0] += 0.001  # each merge takes a millisecond of the fake clock
        return now[0]

    paced = BucketFlusher(host.buffer, host.dynamo, grace_s=60, max_per_s=4, sleep=sleep, monotonic=monotonic)
    # When one pass runs at 4 merges a second
    report = paced.flush_due(host.clock.now())
    # Then it waited between merges (≈ 0.25 s each), so its buckets took ≈ a quarter second each
    assert report.buckets >= 20 and len(waited) == report.buckets - 1
    assert now[0] >= (report.buckets - 1) * 0.25 - 0.01
    # And a pass takes at most max_per_s × PASS_WALL_S buckets (well inside hang_after_s)
    assert BucketFlusher(host.buffer, host.dynamo, max_per_s=4).per_pass == 40


def test_the_buckets_closing_each_minute_are_not_held_to_the_catch_up_pace(host: Host) -> None:
    # Given 100 points whose earlier buckets are flushed, and a catch-up pace of one merge every five seconds: less
    # than the ≈ 20 buckets that close each minute (a host of a province's tier closes ≈ 22 a second against 20)
    points = [f"ot-{i}" for i in range(100)]
    host.clock.set(T0 + 6 * MINUTE)
    host.readings.put_readings([r for p in points for r in minutes(p, 0, 6)])
    host.flusher.flush_due(host.clock.now())
    host.readings.put_readings([r for p in points for r in minutes(p, 6, 12)])
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def monotonic() -> float:
        now[0] += 0.001
        return now[0]

    paced = BucketFlusher(host.buffer, host.dynamo, grace_s=60, max_per_s=0.2, pass_every_s=60, sleep=sleep,
                          monotonic=monotonic)  # fmt: skip
    for minute in range(7, 13):  # When a pass runs each minute, as the worker does
        host.clock.set(T0 + minute * MINUTE)
        started = now[0]
        reports = [paced.flush_due(host.clock.now())]
        while reports[-1].more:  # the worker's next pass at once
            reports.append(paced.flush_due(host.clock.now()))
        # Then each minute's closed buckets are all written within half the minute: none is left for later
        assert sum(r.buckets for r in reports) == reports[0].on_time > 0
        assert now[0] - started <= 30.5, (minute, reports[0].on_time, now[0] - started)
    assert sum(1 for _ in host.buffer.due(host.clock.now(), timedelta(seconds=60))) == 0
    # (at 0.2 a second alone a minute would write 12: the flusher would fall further behind every minute)


class _SlowMerges:
    """The DynamoDB readings, each bucket merge taking `seconds` of the fake clock (a throttled table, say)."""

    def __init__(self, repo: DynamoDBReadingsRepository, now: list[float], seconds: float) -> None:
        self.repo, self.now, self.seconds = repo, now, seconds

    def merge_bucket(self, *args: Any) -> int:
        self.now[0] += self.seconds
        return self.repo.merge_bucket(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repo, name)


def test_a_pass_whose_merges_are_slower_than_its_pace_stops_well_inside_the_hang_limit(host: Host) -> None:
    # Given 20 points' closed buckets waiting and merges that take 2 s each (the pace alone would allow 200 a pass)
    host.clock.set(T0 + 12 * MINUTE)
    host.readings.put_readings([r for i in range(20) for r in minutes(f"sl-{i}", 0, 5)])
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def monotonic() -> float:
        return now[0]

    slow = _SlowMerges(host.dynamo, now, 2.0)
    flusher = BucketFlusher(host.buffer, slow, grace_s=60, sleep=sleep, monotonic=monotonic)  # type: ignore[arg-type]
    # When passes run back to back, as the worker runs them while `more` is set
    passes = []
    while True:
        started = now[0]
        report = flusher.flush_due(host.clock.now())
        passes.append((report.buckets, now[0] - started))
        if not report.more:
            break
    # Then no pass ran much past PASS_DEADLINE_S (15 s; the supervisor's hang_after_s is 30), and all were written
    assert all(took <= 15 + 2.1 for _, took in passes) and len(passes) > 1, passes
    assert sum(n for n, _ in passes) >= 20 and host.buffer.counts()["unflushed"] == 0


def test_refused_buckets_at_the_head_do_not_busy_loop(host: Host, caplog: pytest.LogCaptureFixture) -> None:
    # Given three points whose buckets are refused for their content (here: a malformed row), oldest first, and
    # a later ordinary point
    host.clock.set(T0 + 20 * MINUTE)
    host.readings.put_readings([r for p in ("bad1", "bad2", "bad3") for r in minutes(p, 0, 5)])
    with host.buffer._lock:  # noqa: SLF001 - the test corrupts the rows' bodies
        host.buffer._conn.execute("UPDATE readings SET body = X'00' WHERE point LIKE 'bad%'")  # noqa: SLF001
    host.readings.put_readings(minutes("good", 5, 10))
    flusher = BucketFlusher(host.buffer, host.dynamo, grace_s=60, per_pass=3)
    # When passes run with a pass size that the refused buckets alone would fill
    first = flusher.flush_due(host.clock.now())
    assert first.buckets == 0 and "refused" in first.error and first.more
    reports = [first]
    while reports[-1].more:
        assert len(reports) < 10, "busy loop"
        reports.append(flusher.flush_due(host.clock.now()))
    # Then the following passes skip them and write the others, the refused ones still named in every pass
    assert all("refused" in r.error for r in reports) and flusher.refused >= 3
    assert reports[-1].skipped >= 3 and "refused earlier" in reports[-1].error and sum(r.buckets for r in reports)
    assert host.dynamo.readings("good", ReadingKind.MINUTE, T0, T0 + 10 * MINUTE) == minutes("good", 5, 10)
    again = flusher.flush_due(host.clock.now())
    assert not again.more and again.buckets == 0  # nothing left but the refused: no busy loop
    # And they are tried again REFUSED_RETRY later
    later = host.clock.now() + REFUSED_RETRY
    assert flusher.flush_due(later).skipped == 0


def test_a_locked_buffer_is_a_failure_to_retry_not_a_refused_bucket(
    host: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local import reading_buffer

    # Given closed buckets, and another connection holding the buffer's write lock past its (shortened) timeout
    host.clock.set(T0 + 10 * MINUTE)
    host.readings.put_readings(minutes("p1", 0, 10))
    monkeypatch.setattr(reading_buffer, "BUSY_TIMEOUT_S", 0.2)
    blocker = sqlite3.connect(tmp_path / "readings.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        report = host.flusher.flush_logged(T0 + 12 * MINUTE)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # Then the pass failed as an outage (retried next pass), no bucket is set aside as refused
    assert "locked" in report.error and "refused" not in report.error and host.flusher.refused == 0
    assert host.buffer.counts()["unflushed"] == 10
    again = host.flusher.flush_logged(T0 + 13 * MINUTE)
    assert not again.error and again.readings > 0
