"""Benchmark of the sqlite adapter's hot paths: reading batches, archive appends, latest lookups.

Prints what it measured; bounded in count and time. Run: `make bench-monitoring` (or
`.venv/bin/python bench/monitoring_storage.py --frames 5000`). Figures depend on the disk and the load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.sqlite import open_store

FRAME = b"##0300QN=20261128100000000;ST=51;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&" + b"x" * 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=3000, help="frames (minute data of 3 points each) to store")
    parser.add_argument("--batch", type=int, default=100, help="frames per put_readings batch (a Kinesis batch)")
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    args = parser.parse_args()
    frames = min(args.frames, 50_000)
    t0 = datetime(2026, 11, 28, tzinfo=UTC)
    values = {"ua": 230.1, "ub": 229.8, "uc": 231.0, "ia": 12.3, "ib": 12.1, "ic": 12.6, "p": 8.4, "pf": 0.92}
    values |= {"ep_fwd": 123456.7, "q": 1.2, "freq": 50.0}
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db", synchronous=args.synchronous)
        readings = [
            Reading(f"pt-{m % 50}-{c}", t0 + timedelta(minutes=m // 50), ReadingKind.MINUTE, values, mn=f"MN{m % 50}")
            for m in range(frames)
            for c in range(3)
        ]
        start = time.perf_counter()
        step = args.batch * 3
        for i in range(0, len(readings), step):
            store.readings.put_readings(readings[i : i + step])
        put_s = time.perf_counter() - start

        start = time.perf_counter()
        store.readings.put_readings(readings[: min(len(readings), step * 10)])
        dup_s = time.perf_counter() - start
        dup_n = min(len(readings), step * 10)

        raw = [
            RawFrame(f"MN{m % 50}", FRAME, t0 + timedelta(seconds=m), "127.0.0.1:1", AuthStatus.OK)
            for m in range(frames)
        ]
        single = raw[: min(frames, 1000)]
        start = time.perf_counter()
        for frame in single:
            store.archive.append(frame)
        one_s = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(len(single), frames, args.batch):
            store.archive.append_many(raw[i : i + args.batch])
        arc_s = time.perf_counter() - start
        batched = frames - len(single)

        start = time.perf_counter()
        for m in range(1000):
            store.readings.latest(f"pt-{m % 50}-0", ReadingKind.MINUTE)
        latest_s = time.perf_counter() - start

        start = time.perf_counter()
        ok = all(store.archive.verify(f"MN{k}").ok for k in range(50))
        verify_s = time.perf_counter() - start
        store.close()

    print(f"sqlite synchronous={args.synchronous}, batch={args.batch} frames x 3 readings")
    print(f"put_readings: {len(readings)} readings in {put_s:.2f} s = {len(readings) / put_s:,.0f} readings/s")
    print(f"duplicate redelivery: {dup_n} readings in {dup_s:.2f} s = {dup_n / dup_s:,.0f} readings/s")
    print(
        f"archive.append: {len(single)} frames in {one_s:.2f} s = {len(single) / one_s:,.0f} frames/s (one commit each)"
    )
    if batched:
        print(f"archive.append_many: {batched} frames in {arc_s:.2f} s = {batched / arc_s:,.0f} frames/s")
    print(f"latest lookup: 1000 in {latest_s * 1000:.0f} ms = {latest_s:.3f} ms each")
    print(f"archive.verify: {frames} frames on 50 chains in {verify_s:.2f} s, ok={ok}")


if __name__ == "__main__":
    main()
