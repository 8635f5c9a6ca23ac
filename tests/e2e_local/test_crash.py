"""Crash test: kill -9 the local platform under simulated load, restart it; nothing acknowledged is lost.

The simulator logs every packet a 9014 acknowledged (MN, CN, DataTime, PNO: the idempotency key). After the run,
every acknowledged packet must be in the raw-frame archive, every acknowledged minute record must be a reading
stored exactly once, and the terminals' store-and-forward backfill must have closed the gap the crash left.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hj212 import decode_frame
from local.demo.harness import Run
from local.queue import FrameQueue
from monitoring.readings.models import ReadingKind
from monitoring.storage.sqlite import open_store

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.solo]
CHINA = timedelta(hours=8)


def _utc(data_time: str) -> datetime:
    return datetime.strptime(data_time, "%Y%m%d%H%M%S").replace(tzinfo=UTC) - CHINA


def test_local_platform_killed_mid_run_loses_no_acknowledged_frame_and_backfills(tmp_path: Path) -> None:
    # Given four enterprises' terminals sending real-time and minute data at ×30 to the local platform
    run = Run(tmp_path / "data", limit=4, mix="normal=1", accel=30, realtime=True, ack_log=True)
    run.prepare()
    run.start()
    try:
        time.sleep(10)
        # When the platform is killed with SIGKILL mid-run, stays down a while, and is started again
        run.kill_platform()
        time.sleep(4)
        run.start_platform()
        time.sleep(12)
        run.stop_simulator()
        run.drain(timeout=30)
    finally:
        run.stop()
    # Then every acknowledged packet is archived
    acks = [json.loads(line) for line in (tmp_path / "data" / "acks.jsonl").read_text().splitlines()]
    assert len(acks) > 100
    store = open_store(tmp_path / "data" / "gongkuang.db")
    archived: set[tuple[str, str, str, int | None]] = set()
    mns = {a["mn"] for a in acks}
    for mn in mns:
        for f in store.archive.chain(mn, limit=100_000):
            frame = decode_frame(f.frame.raw)
            archived.add((mn, frame.cn or "", frame.cp.scalars.get("DataTime", ""), frame.pno))
        assert store.archive.verify(mn).ok
    acked = {(a["mn"], a["cn"], a["data_time"], a["pno"]) for a in acks}
    assert acked <= archived, sorted(acked - archived)[:5]
    # And every fully acknowledged minute record is one reading of each bound point, with no gap
    packets: dict[tuple[str, str], set[int | None]] = defaultdict(set)
    for mn, cn, data_time, pno in acked:
        if cn == "2051":
            packets[(mn, data_time)].add(pno)
    most: dict[str, int] = defaultdict(int)  # packets per minute record: depends on the terminal's channels
    for (mn, _), p in packets.items():
        most[mn] = max(most[mn], len(p))
    complete = {key for key, p in packets.items() if len(p) == most[key[0]]}
    checked = 0
    for mn in mns:
        times = sorted(_utc(t) for m, t in complete if m == mn)
        for point in store.registry.points_for_mn(mn):
            rows = store.readings.readings(point.point_id, ReadingKind.MINUTE, times[0], times[-1] + CHINA)
            stored = [r.data_time for r in rows]
            assert len(stored) == len(set(stored))  # exactly once
            assert set(times) <= set(stored), sorted(set(times) - set(stored))[:3]
            span = int((times[-1] - times[0]).total_seconds() // 60) + 1
            assert len([t for t in stored if t <= times[-1]]) == span  # backfill closed the crash's gap
            checked += 1
    assert checked >= 4
    queue = FrameQueue(tmp_path / "data" / "queue.db")
    assert queue.counters()["dead"] == 0 and queue.depth() == 0
    queue.close()
    store.close()
