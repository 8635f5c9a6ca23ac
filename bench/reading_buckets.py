"""Reading buckets on DynamoDB: body bytes per reading and write units per bucket, against one item per reading.

The demo fleet's minute readings (bench/reading_bodies.py) in each point's whole buckets of 5 to 60 minutes, written
with `merge_bucket` to DynamoDB Local, which reports the capacity; ~30 s. More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._local_backend import local_backend  # noqa: E402
from bench.reading_bodies import demo_records  # noqa: E402
from monitoring.clock import FixedClock  # noqa: E402
from monitoring.readings.models import Reading, ReadingKind  # noqa: E402
from monitoring.storage.dynamodb import compact  # noqa: E402
from monitoring.storage.dynamodb.reading_buckets import bucket_start, decode_bucket, encode_bucket  # noqa: E402
from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository  # noqa: E402

SIZES = (5, 10, 15, 30, 60)


def whole_buckets(readings: list[Reading], minutes: int) -> dict[tuple[str, datetime], list[Reading]]:
    """Each point's buckets of `minutes` that hold a reading for every minute."""
    grouped: dict[tuple[str, datetime], list[Reading]] = defaultdict(list)
    for r in readings:
        grouped[(r.point_id, bucket_start(r.point_id, r.data_time, minutes))].append(r)
    return {key: rs for key, rs in grouped.items() if len(rs) == minutes}


def _decode_us(buckets: dict[tuple[str, datetime], list[Reading]], bodies: list[bytes]) -> float:
    count = sum(map(len, buckets.values()))
    best = float("inf")
    for _ in range(3):
        began = time.process_time()
        for (pid, _), body in zip(buckets, bodies, strict=True):
            decode_bucket(body, pid, ReadingKind.MINUTE)
        best = min(best, time.process_time() - began)
    return best / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=3, help="the first N of the Rugao list")
    parser.add_argument("--minutes", type=int, default=130, help="simulated minutes decoded")
    parser.add_argument("--no-dynamodb", action="store_true", help="sizes only (no DynamoDB Local)")
    args = parser.parse_args()
    if not (1 <= args.enterprises <= 10 and 60 <= args.minutes <= 240):
        parser.error("bounds: enterprises 1..10, minutes 60..240")
    readings, _ = demo_records(args.enterprises, args.minutes)
    if not readings:
        parser.error("no readings decoded")
    points = len({r.point_id for r in readings})
    item = statistics.mean(len(compact.encode_reading(r) or b"") for r in readings)
    print(f"{len(readings)} demo minute readings of {points} points; one item per reading: compact body {item:.0f} B")
    # A refused put-if-absent (the redo's and the late reading's first request) is charged like the write it
    # refused, but DynamoDB (Local too) reports no capacity on an error: add WRU/bucket to those columns by hand.
    print(f"{'minutes':>7} {'buckets':>8} {'B/reading':>10} {'body B':>8} {'WRU/bucket':>11} {'WRU/reading':>12}"
          f" {'redo RRU':>9} {'late WRU':>9} {'late RRU':>9} {'decode µs/reading':>18}")  # fmt: skip
    # Each size's buckets a month after the previous size's (buckets of two sizes can share a start, and a key)
    plan = {m: whole_buckets([_shift(r, timedelta(days=30 * i)) for r in readings], m) for i, m in enumerate(SIZES)}
    with local_backend("rbb") if not args.no_dynamodb else _nothing() as backend:
        for minutes, buckets in plan.items():
            bodies = [encode_bucket(rs) for rs in buckets.values()]
            count = sum(map(len, buckets.values()))
            per_reading = sum(map(len, bodies)) / count
            body = statistics.mean(map(len, bodies))
            line = f"{minutes:>7} {len(buckets):>8} {per_reading:>10.1f} {body:>8.0f}"
            if backend is not None:
                repo = backend.store(clock=FixedClock(max(r.data_time for r in readings))).readings
                assert isinstance(repo, DynamoDBReadingsRepository)
                backend.meter.reset()
                for (pid, start), rs in buckets.items():  # written whole, as the host's flusher does on time
                    assert repo.merge_bucket(pid, ReadingKind.MINUTE, start, rs) == len(rs)
                fresh = backend.meter.total()
                backend.meter.reset()
                for (pid, start), rs in buckets.items():  # a crash between write and mark: the redo
                    assert repo.merge_bucket(pid, ReadingKind.MINUTE, start, rs) == 0
                redo = backend.meter.total()
                day = timedelta(days=1)
                for (pid, start), rs in buckets.items():  # another day's buckets, written without one reading
                    shifted = [_shift(r, day) for r in rs]
                    repo.merge_bucket(
                        pid, ReadingKind.MINUTE, start + day, shifted[: minutes // 2] + shifted[minutes // 2 + 1 :]
                    )  # noqa: E501
                backend.meter.reset()
                for (pid, start), rs in buckets.items():  # which then arrives late
                    assert repo.merge_bucket(pid, ReadingKind.MINUTE, start + day, [_shift(rs[minutes // 2], day)]) == 1
                late_usage = backend.meter.total()
                n = len(buckets)
                line += (
                    f" {fresh.write_units / n:>11.2f} {fresh.write_units / count:>12.3f}"
                    f" {redo.read_units / n:>9.2f} {late_usage.write_units / n:>9.2f} {late_usage.read_units / n:>9.2f}"
                )
            line += f" {_decode_us(buckets, bodies):>18.1f}"
            print(line)
    return 0


def _shift(r: Reading, by: timedelta) -> Reading:
    return Reading(r.point_id, r.data_time + by, r.kind, r.values, r.flags, r.raw, r.mn,
                   None if r.received_at is None else r.received_at + by)  # fmt: skip


class _nothing:  # noqa: N801 - a context manager standing in for local_backend
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
