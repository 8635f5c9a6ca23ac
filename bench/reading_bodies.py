"""Reading and aggregate item bodies on DynamoDB: legacy zlib JSON against the compact format, size and CPU.

The demo fleet's readings (decoded by the real pipeline on the memory store); about 10 s. More: docs/dynamodb.md,
"Module notes", `compact.py`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import aws_fleet  # noqa: E402
from bench.aws_cost import START  # noqa: E402
from bench.aws_fleet import batches  # noqa: E402
from functions import _wiring  # noqa: E402
from monitoring.clock import FixedClock  # noqa: E402
from monitoring.ingest.isolate import decode_isolating  # noqa: E402
from monitoring.readings.models import Aggregate, AggregatePeriod, Reading, ReadingKind  # noqa: E402
from monitoring.storage import codec  # noqa: E402
from monitoring.storage.dynamodb import compact  # noqa: E402


def demo_records(enterprises: int, minutes: int) -> tuple[list[Reading], list[Aggregate]]:
    clock = FixedClock(START)
    _wiring.configure(_wiring.Settings(store_backend="memory"), clock=clock)
    try:
        store = _wiring.get_store()
        fleet, doc = aws_fleet.build(enterprises, START)
        aws_fleet.register(store, doc)
        for minute in range(minutes):
            arrivals = sorted(aws_fleet.minute_records(fleet, minute), key=lambda a: a[0])
            for batch in batches(arrivals, 1.0, 100):
                clock.set(batch[-1][0] + timedelta(milliseconds=200))
                decode_isolating([(str(i), r) for i, (_, r) in enumerate(batch)], _wiring.new_decoder)
        end = START + timedelta(minutes=minutes + 1)
        points = [
            p
            for e in store.registry.list_enterprises(aws_fleet.COUNTY)
            for p in store.registry.list_points(e.enterprise_id)
        ]
        readings = [r for p in points for r in store.readings.readings(p.point_id, ReadingKind.MINUTE, START, end)]
        aggregates = [
            a for p in points for a in store.readings.aggregates(p.point_id, AggregatePeriod.HOUR, START, end)
        ]
        return readings, aggregates
    finally:
        _wiring.configure(None)


def _cpu_us(work: Callable[[], Any], count: int, rounds: int = 5) -> float:
    """Best of `rounds` (the machine is shared): µs of this process's CPU per record."""
    best = float("inf")
    for _ in range(rounds):
        began = time.process_time()
        work()
        best = min(best, time.process_time() - began)
    return best / max(count, 1) * 1e6


def _legacy(record: object) -> bytes:
    return zlib.compress(codec.dumps(record).encode(), 6)


def _report(
    name: str, records: Sequence[Any], encode: Callable[[Any], bytes | None], decode: Callable[..., Any]
) -> None:
    cls = type(records[0])
    old = [_legacy(r) for r in records]
    new = [encode(r) or b"" for r in records]
    assert all(new), "a demo record fell back to the legacy body"
    keys = [
        (r.point_id, getattr(r, "kind", None) or r.period, getattr(r, "data_time", None) or r.start) for r in records
    ]
    assert [decode(b, *k) for b, k in zip(new, keys, strict=True)] == list(records), "round trip failed"
    print(f"{name}: {len(records)} demo records")
    sizes = statistics.mean(map(len, old)), statistics.mean(map(len, new))
    print(f"  body bytes   legacy zlib JSON {sizes[0]:6.0f}   compact {sizes[1]:6.0f}")
    enc_old = _cpu_us(lambda: [_legacy(r) for r in records], len(records))
    enc_new = _cpu_us(lambda: [encode(r) for r in records], len(records))
    dec_old = _cpu_us(lambda: [codec.loads(cls, zlib.decompress(b).decode()) for b in old], len(records))
    dec_new = _cpu_us(lambda: [decode(b, *k) for b, k in zip(new, keys, strict=True)], len(records))
    print(f"  encode µs    legacy {enc_old:6.1f}   compact {enc_new:6.1f}")
    print(f"  decode µs    legacy {dec_old:6.1f}   compact {dec_new:6.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=3, help="the first N of the Rugao list")
    parser.add_argument("--minutes", type=int, default=70, help="simulated minutes decoded")
    args = parser.parse_args()
    if not (1 <= args.enterprises <= 10 and 2 <= args.minutes <= 240):
        parser.error("bounds: enterprises 1..10, minutes 2..240")
    readings, aggregates = demo_records(args.enterprises, args.minutes)
    if not readings:
        parser.error("no readings decoded")
    _report("minute readings", readings, compact.encode_reading, compact.decode_reading)
    if aggregates:
        _report("hourly aggregates", aggregates, compact.encode_aggregate, compact.decode_aggregate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
