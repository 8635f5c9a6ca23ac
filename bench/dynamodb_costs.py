"""Benchmark: DynamoDB requests and capacity units per frame on the storage path decode takes.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from bench._local_backend import local_backend
from monitoring.clock import FixedClock
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.dynamodb.metering import CapacityMeter, OperationUsage
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
QUANTITIES = ("ua", "ub", "uc", "ia", "ib", "ic", "pa", "pb", "pc", "p", "qa", "qb", "qc", "q", "pf", "freq")
QUANTITIES += ("ep_fwd", "ep_rev", "eq_fwd", "eq_rev", "demand")


def _frame_payload(mn: str, at: datetime, channels: int) -> bytes:
    cp = ";".join(
        f"{q}-{c:02d}-Rtd={100 + c}.{len(q)},{q}-{c:02d}-Flag=N" for c in range(channels) for q in QUANTITIES[:8]
    )
    segment = f"QN={at:%Y%m%d%H%M%S}000;ST=22;CN=2051;PW=123456;MN={mn};Flag=5;CP=&&DataTime={at:%Y%m%d%H%M%S};{cp}&&"
    return f"##{len(segment):04d}{segment}ABCD\r\n".encode()


def _seed(store: Store, terminals: int, channels: int) -> list[str]:
    b.seed_jurisdictions(store.registry)
    mns = [f"MN{t:06d}" for t in range(terminals)]
    for t, mn in enumerate(mns):
        store.registry.put_enterprise(b.enterprise(f"e{t}"))
        store.registry.put_facility(b.facility(f"f{t}", enterprise_id=f"e{t}", code=f"MF{t:04d}"))
        store.registry.put_terminal(b.terminal(mn, enterprise_id=f"e{t}"))
        for c in range(channels):
            store.registry.put_point(
                b.point(f"p{t}-{c}", enterprise_id=f"e{t}", facility_id=f"f{t}", mn=mn, channel=f"{c:02d}")
            )
    return mns


def _one_frame(store: Store, mn: str, at: datetime, channels: int) -> None:
    store.registry.get_terminal(mn)
    points = store.registry.points_for_mn(mn)
    store.registry.record_terminal_seen(mn, at + timedelta(seconds=2), peer="203.0.113.7:50122")
    store.archive.append(b.raw_frame(mn, at=at + timedelta(seconds=2), payload=_frame_payload(mn, at, channels)))
    values = {q: 100.0 + i for i, q in enumerate(QUANTITIES)}
    store.readings.put_readings([Reading(p.point_id, at, ReadingKind.MINUTE, values=values, mn=mn) for p in points])


def _report(title: str, meter: CapacityMeter, frames: int, seconds: float) -> None:
    usage = meter.snapshot()
    total = meter.total()
    print(f"\n{title}: {frames} frames in {seconds:.2f} s ({frames / seconds:.0f} frames/s on DynamoDB Local)")
    print(f"{'operation':<16}{'req/frame':>10}{'RCU/frame':>11}{'WCU/frame':>11}{'refused':>9}")
    for op, u in sorted(usage.items()) + [("TOTAL", total)]:
        u = u if isinstance(u, OperationUsage) else OperationUsage()
        print(
            f"{op:<16}{u.requests / frames:>10.2f}{u.read_units / frames:>11.2f}"
            f"{u.write_units / frames:>11.2f}{u.errors / frames:>9.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=20)
    parser.add_argument("--frames", type=int, default=200, help="total frames (spread over the terminals)")
    parser.add_argument("--channels", type=int, default=4, help="monitoring points per terminal")
    args = parser.parse_args()
    if not (1 <= args.terminals <= 1000 and 1 <= args.frames <= 20_000 and 1 <= args.channels <= 16):
        parser.error("bounds: terminals 1..1000, frames 1..20000, channels 1..16")
    with local_backend("bench") as backend:
        store = backend.store(clock=FixedClock(START + timedelta(days=1)))
        mns = _seed(store, args.terminals, args.channels)
        plan = [(mns[i % len(mns)], START + timedelta(minutes=i // len(mns))) for i in range(args.frames)]
        for title in ("new frames", "redelivered frames (duplicates)"):
            backend.meter.reset()
            began = time.perf_counter()
            for mn, at in plan:
                _one_frame(store, mn, at, args.channels)
            _report(f"{title}, {args.channels} readings each", backend.meter, len(plan), time.perf_counter() - began)


if __name__ == "__main__":
    main()
