"""Disk of the county host's reading buffer (DATA_DIR/readings.db) at a fleet's size: the demo fleet's minute
readings, copied onto `--terminals` terminals' points, inserted a minute at a time, flushed and pruned as the flusher
does, for `--hours` of platform time. Reports the file's steady size (with its WAL), bytes per row and insert cost.

More: docs/local.md, "On the AWS storage (the county host)". Run: python -m bench.reading_buffer_size [--terminals 1500]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import aws_fleet  # noqa: E402
from bench.aws_cost import START  # noqa: E402
from bench.reading_bodies import demo_records  # noqa: E402
from local.reading_buffer import KEEP, ReadingBuffer  # noqa: E402
from monitoring.clock import FixedClock  # noqa: E402
from monitoring.storage.dynamodb.reading_buckets import bucket_start  # noqa: E402

MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=1500)
    parser.add_argument("--hours", type=float, default=4.0, help="platform hours simulated (≥ keep + a bucket)")
    parser.add_argument("--minutes", type=int, default=5, help="bucket minutes")
    args = parser.parse_args()
    fleet, _ = aws_fleet.build(8, START)
    readings, _ = demo_records(8, 10)
    points_per_terminal = fleet.points / len(fleet.terminals)
    points = round(args.terminals * points_per_terminal)
    # one minute of the demo: a reading per point; copies onto `points` points (the bodies are the demo's)
    first = min(r.data_time for r in readings)
    sample = [r for r in readings if r.data_time == first] or readings
    total_minutes = int(args.hours * 60)
    clock = FixedClock(START)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "readings.db"
        buffer = ReadingBuffer(path, lambda p, at: bucket_start(p, at, args.minutes), args.minutes, clock)
        insert_s, rows_in, sizes = 0.0, 0, []
        for minute in range(total_minutes):
            now = START + timedelta(minutes=minute)
            clock.set(now + timedelta(seconds=30))
            batch = [
                dataclasses.replace(sample[i % len(sample)], point_id=f"RG{i // 4:04d}-MF{i % 4:04d}", data_time=now)
                for i in range(points)
            ]
            began = time.perf_counter()
            for at in range(0, len(batch), 500):  # decode's batches
                buffer.insert(batch[at : at + 500])
            insert_s += time.perf_counter() - began
            rows_in += len(batch)
            for bucket in buffer.due(clock.now(), timedelta(seconds=60)):  # what the flusher marks
                buffer.mark_flushed(bucket, [at for at, _ in buffer.bucket_rows(bucket)], clock.now())
            buffer.prune(clock.now())
            if minute % 30 == 29:
                rows, size = buffer.rows(), buffer.counts()["bytes"]
                sizes.append((minute + 1, rows, size))
                print(f"  {minute + 1:4d} min: {rows:>9,} rows, {size / MIB:7.1f} MiB", flush=True)
        buffer.close()
    steady = [s for s in sizes if s[0] >= KEEP.total_seconds() / 60 + args.minutes + 2]
    rows, size = max((r, b) for _, r, b in steady or sizes)
    print(f"terminals {args.terminals}, points {points} ({points_per_terminal:.2f} per terminal), "
          f"{args.minutes}-minute buckets, keep {KEEP}")  # fmt: skip
    print(f"steady size: {size / MIB:.1f} MiB for {rows:,} rows ({size / max(rows, 1):.0f} B per row)")
    print(f"insert: {insert_s / rows_in * 1e6:.1f} µs per reading (batches of 500, synchronous=FULL)")


if __name__ == "__main__":
    main()
