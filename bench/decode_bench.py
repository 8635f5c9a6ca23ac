"""Benchmark: decode + store throughput (frames/s) on sqlite, and DynamoDB requests/units per frame.

Feeds realistic frame records (two circuits × the default profile's quantities, one real-time frame per
terminal every 30 s) through the same `Decoder` the Lambda handler uses, in Kinesis-sized batches.
Bounded in count and time; prints what it measured. Run: `make bench-decode` (BENCH_FRAMES, BENCH_DDB_FRAMES).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hj212 import LayoutCache, Version, build_frame
from hj212.china_time import CHINA
from monitoring.clock import FixedClock
from monitoring.ingest.decode import Decoder, DecodeSettings
from monitoring.ingest.registry_cache import RegistryCache
from monitoring.ingest.terminal_state import FrameGaps
from monitoring.profiles.loader import load_profiles
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.ports import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.support (DynamoDB Local launcher) when run as a script
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "cn-north-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}
START = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 08:00 China time
CODES = "Ua Ub Uc Ia Ib Ic Pa Pb Pc P Qa Qb Qc Q S PFa PFb PFc PF F".split()
COUNTERS = ("EPf", "EPr", "EQf", "EQr")
BATCH = 100  # a Kinesis batch


def _mn(i: int) -> str:
    return f"BENCH{i:09d}"


def register(store: Store, terminals: int) -> None:
    digest = hash_password("123456", n=2)
    for i in range(terminals):
        store.registry.put_terminal(Terminal(mn=_mn(i), county_id="bench", password_hash=digest))
        for ch in ("01", "02"):
            store.registry.put_point(
                MonitoringPoint(
                    point_id=f"p{i}-{ch}",
                    enterprise_id=f"e{i}",
                    facility_id=f"f{i}",
                    point_code=f"B{i}-{ch}",
                    name="回路",
                    role=FacilityKind.CONTROL,
                    mn=_mn(i),
                    channel=ch,
                )
            )


def records(terminals: int, frames: int, interval_s: int = 30) -> Iterator[bytes]:
    """One real-time frame per terminal every `interval_s` (the simulator's default RtdInterval is 30 s),
    round-robin, as the listener would put them on the stream."""
    for n in range(frames):
        i, step = n % terminals, n // terminals
        minute = step * interval_s / 60
        at = START + timedelta(seconds=step * interval_s + i % interval_s)
        local = at.astimezone(CHINA)
        items: dict[str, dict[str, str]] = {}
        for ch in ("01", "02"):
            for k, code in enumerate(CODES):
                items[f"{code}{ch}"] = {"Rtd": f"{(k + 1) * 1.5 + (n % 7) * 0.1:.3f}", "Flag": "N"}
            for code in COUNTERS:
                items[f"{code}{ch}"] = {"Rtd": f"{1000 + minute * 0.25:.2f}", "Flag": "N"}
        cp = {"DataTime": local.strftime("%Y%m%d%H%M%S"), **items}
        raw = build_frame(
            st="31",
            cn="2011",
            mn=_mn(i),
            pw="123456",
            qn=local.strftime("%Y%m%d%H%M%S") + "000",
            version=Version.V2017,
            ack=True,
            cp=cp,
        )
        doc = {
            "v": 1,
            "frame": base64.b64encode(raw).decode(),
            "received_at": (at + timedelta(seconds=1)).isoformat(),
            "peer": "127.0.0.1:9",
            "mn": _mn(i),
            "cn": "2011",
            "qn": "",
            "listener": "bench",
            "session": "s",
            "auth": "ok",
            "crc": "hj212",
        }
        yield json.dumps(doc).encode()


def run(
    store: Store, clock: FixedClock, recs: list[bytes], rollup: bool, budget_s: float
) -> tuple[int, float, Any, float]:
    """(frames done, wall seconds, outcomes, CPU seconds of this process): on a shared machine the CPU time
    tells what decode itself costs when other work steals the cores from the wall-clock figure."""
    profiles = load_profiles()
    settings = DecodeSettings(rollup=rollup)
    cache = RegistryCache(clock)  # as in a warm Lambda container or the local process
    layouts = LayoutCache()  # likewise
    gaps = FrameGaps()  # likewise
    done, started, cpu_started = 0, time.perf_counter(), time.process_time()
    outcomes: dict[str, int] = {}
    for offset in range(0, len(recs), BATCH):
        batch = recs[offset : offset + BATCH]
        clock.set(datetime.fromisoformat(json.loads(batch[-1])["received_at"]))
        decoder = Decoder(store, clock, profiles, settings, cache=cache, layouts=layouts, gaps=gaps)
        for rec in batch:
            decoder.decode(rec)
        report = decoder.flush()
        for k, v in report.outcomes.items():
            outcomes[k] = outcomes.get(k, 0) + v
        done += len(batch)
        if time.perf_counter() - started > budget_s:
            break
    return done, time.perf_counter() - started, outcomes, time.process_time() - cpu_started


def bench_sqlite(frames: int, terminals: int, budget_s: float) -> None:
    from monitoring.readings.rollup import rollup_hour
    from monitoring.storage.sqlite import open_store

    recs = list(records(terminals, frames))
    size = sum(len(r) for r in recs) / len(recs)
    for sync in ("FULL", "NORMAL"):
        with tempfile.TemporaryDirectory() as tmp:
            clock = FixedClock(START)
            store = open_store(Path(tmp) / "bench.db", clock=clock, synchronous=sync)
            register(store, terminals)
            done, secs, outcomes, cpu = run(store, clock, recs, False, budget_s)
            if sync == "FULL":  # roll-ups run once or twice per point and hour: time them on their own
                points = [f"p{i}-{ch}" for i in range(min(terminals, 50)) for ch in ("01", "02")]
                started = time.perf_counter()
                for point in points:
                    rollup_hour(store, point, START, clock)
                rollup_ms = (time.perf_counter() - started) * 1000 / len(points)
            store.close()
        print(
            f"sqlite (WAL, synchronous={sync:<6}): {done} frames in {secs:.2f} s = {done / secs:,.0f} frames/s"
            f" ({secs / done * 1e6:.0f} µs/frame wall, {cpu / done * 1e6:.0f} µs/frame CPU)"
            f"  (batches of {BATCH}, {terminals} terminals × 2 circuits, {len(CODES) + len(COUNTERS)}"
            f" quantities/circuit, {size:.0f} B/record) outcomes={outcomes}"
        )
    samples = frames // terminals
    print(f"sqlite roll-up of one point-hour ({samples} samples, synchronous=FULL): {rollup_ms:.1f} ms")


def _print_usage(meter: Any, per: int, unit: str) -> None:
    total = meter.total()
    print(
        f"  per {unit}: {total.requests / per:.2f} requests, {total.read_units / per:.2f} RCU,"
        f" {total.write_units / per:.2f} WCU (summed from ConsumedCapacity, not estimated)"
    )
    for op, usage in sorted(meter.snapshot().items()):
        print(
            f"  {op:>20}: {usage.requests / per:6.2f} req {usage.read_units / per:6.2f} RCU"
            f" {usage.write_units / per:6.2f} WCU  errors={usage.errors}"
        )


def _measure_dynamodb(label: str, frames: int, terminals: int, **where: Any) -> None:
    from monitoring.readings.rollup import rollup_day, rollup_hour
    from monitoring.storage.dynamodb import open_store
    from monitoring.storage.dynamodb.metering import CapacityMeter

    clock = FixedClock(START)
    meter = CapacityMeter()
    prefix = f"bench{int(time.time() * 1000) % 10_000_000}"
    store = open_store(table_prefix=prefix, clock=clock, meter=meter, create_tables=True, **where)
    register(store, terminals)
    recs = list(records(terminals, frames))
    meter.reset()  # count the decode path only, not the registry set-up
    done, secs, outcomes, _ = run(store, clock, recs, False, 600.0)
    print(
        f"dynamodb ({label}): {done} frames from {terminals} terminals in batches of {BATCH}, {secs:.1f} s, {outcomes}"
    )
    _print_usage(meter, done, "frame (steady state, roll-ups apart)")
    # Roll-ups run once or twice per point and hour (and once per point and day), not per frame: count them
    # on points holding an hour of real-time samples (one frame a minute).
    hour_recs = list(records(2, 120, interval_s=60))
    run(store, clock, hour_recs, False, 600.0)
    meter.reset()
    points = [f"p{i}-{ch}" for i in range(2) for ch in ("01", "02")]
    for point in points:
        rollup_hour(store, point, START, clock)
    _print_usage(meter, len(points), "point and hour rolled up (60 samples)")
    meter.reset()
    for point in points:
        rollup_day(store, point, START.astimezone(CHINA).date(), {}, clock)
    _print_usage(meter, len(points), "point and day rolled up")


def bench_dynamodb(frames: int, terminals: int, local: bool) -> None:
    try:
        import monitoring.storage.dynamodb.adapter  # noqa: F401
    except ImportError as exc:
        print(f"dynamodb: adapter not available ({exc})")
        return
    for name, value in FAKE_AWS_ENV.items():
        os.environ.setdefault(name, value)
    from moto import mock_aws

    with mock_aws():
        _measure_dynamodb("moto, in-process", frames, terminals, region="cn-north-1")
    if not local:
        return
    from tests.support import dynamodb_local

    try:
        instance = dynamodb_local.start()
    except dynamodb_local.DynamoDBLocalError as exc:
        print(f"dynamodb (DynamoDB Local): skipped: {exc}")
        return
    try:
        _measure_dynamodb("DynamoDB Local", frames, terminals, region="cn-north-1", host=instance.url)
    finally:
        instance.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=6000)
    parser.add_argument("--terminals", type=int, default=300)
    parser.add_argument("--ddb-frames", type=int, default=300, help="0 skips the DynamoDB part")
    parser.add_argument("--ddb-terminals", type=int, default=100, help="100 = one frame per terminal per batch")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per sqlite run, at most")
    parser.add_argument("--no-dynamodb-local", action="store_true", help="count against moto only")
    args = parser.parse_args(argv)
    if args.frames < 1 or args.terminals < 1 or args.ddb_frames < 0 or args.ddb_terminals < 1:
        parser.error("--frames, --terminals and --ddb-terminals must be at least 1, --ddb-frames at least 0")
    print(f"decode benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, python {sys.version.split()[0]}")
    bench_sqlite(min(args.frames, 100_000), args.terminals, args.budget)
    if args.ddb_frames:
        bench_dynamodb(min(args.ddb_frames, 5_000), min(args.ddb_terminals, 1_000), not args.no_dynamodb_local)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
