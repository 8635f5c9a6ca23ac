"""Benchmark: decode + store throughput (frames/s) on sqlite, and DynamoDB requests/units per frame.

Feeds realistic frame records (two circuits × the default profile's quantities, one real-time frame per
terminal per minute) through the same `Decoder` the Lambda handler uses, in Kinesis-sized batches.
Bounded in count and time; prints what it measured. Run: `make bench-decode` (BENCH_FRAMES, BENCH_DDB_FRAMES).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hj212 import Version, build_frame
from monitoring.clock import FixedClock
from monitoring.ingest.decode import Decoder, DecodeSettings
from monitoring.profiles.loader import load_profiles
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.ports import Store

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


def records(terminals: int, frames: int) -> Iterator[bytes]:
    """One real-time frame per terminal per minute, round-robin, as the listener would put them on the stream."""
    for n in range(frames):
        i, minute = n % terminals, n // terminals
        at = START + timedelta(minutes=minute, seconds=i % 60)
        local = at + timedelta(hours=8)
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


def run(store: Store, clock: FixedClock, recs: list[bytes], rollup: bool, budget_s: float) -> tuple[int, float, Any]:
    profiles = load_profiles()
    settings = DecodeSettings(rollup=rollup)
    done, started = 0, time.perf_counter()
    outcomes: dict[str, int] = {}
    for offset in range(0, len(recs), BATCH):
        batch = recs[offset : offset + BATCH]
        clock.set(datetime.fromisoformat(json.loads(batch[-1])["received_at"]))
        decoder = Decoder(store, clock, profiles, settings)
        for rec in batch:
            decoder.decode(rec)
        report = decoder.flush()
        for k, v in report.outcomes.items():
            outcomes[k] = outcomes.get(k, 0) + v
        done += len(batch)
        if time.perf_counter() - started > budget_s:
            break
    return done, time.perf_counter() - started, outcomes


def bench_sqlite(frames: int, terminals: int, budget_s: float) -> None:
    from monitoring.storage.sqlite import open_store

    recs = list(records(terminals, frames))
    size = sum(len(r) for r in recs) / len(recs)
    for rollup, sync in ((True, "FULL"), (False, "FULL"), (True, "NORMAL")):
        with tempfile.TemporaryDirectory() as tmp:
            clock = FixedClock(START)
            store = open_store(Path(tmp) / "bench.db", clock=clock, synchronous=sync)
            register(store, terminals)
            done, secs, outcomes = run(store, clock, recs, rollup, budget_s)
            store.close()
        print(
            f"sqlite (WAL, synchronous={sync:<6}) rollup={'on ' if rollup else 'off'}: {done} frames in {secs:.2f} s"
            f" = {done / secs:,.0f} frames/s  (batches of {BATCH}, {terminals} terminals × 2 circuits,"
            f" {len(CODES) + len(COUNTERS)} quantities/circuit, {size:.0f} B/record) outcomes={outcomes}"
        )


def bench_dynamodb(frames: int, terminals: int) -> None:
    try:
        from monitoring.storage import dynamodb as ddb  # type: ignore[attr-defined,unused-ignore]
        from monitoring.storage.dynamodb.metering import CapacityMeter  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        print(f"dynamodb: adapter not available on this branch ({exc}); see docs/decode.md 'Follow-up'")
        return
    opener = getattr(ddb, "open_store", None)
    if opener is None:
        print("dynamodb: monitoring.storage.dynamodb has no open_store yet; see docs/decode.md 'Follow-up'")
        return
    from moto import mock_aws

    with mock_aws():
        clock = FixedClock(START)
        meter = CapacityMeter()
        store = opener(table_prefix="bench", region="cn-north-1", clock=clock, meter=meter, create=True)
        register(store, terminals)
        recs = list(records(terminals, frames))
        meter.reset()
        done, secs, outcomes = run(store, clock, recs, True, 600.0)
        total = meter.total()
        print(f"dynamodb (moto, in-process): {done} frames, outcomes={outcomes}")
        print(
            f"  per frame: {total.requests / done:.2f} requests, {total.read_units / done:.2f} RCU,"
            f" {total.write_units / done:.2f} WCU (counted from ConsumedCapacity, not estimated)"
        )
        for op, usage in sorted(meter.snapshot().items()):
            print(
                f"  {op:>20}: {usage.requests / done:6.2f} req/frame  {usage.read_units / done:6.2f} RCU"
                f"  {usage.write_units / done:6.2f} WCU  errors={usage.errors}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=6000)
    parser.add_argument("--terminals", type=int, default=300)
    parser.add_argument("--ddb-frames", type=int, default=300)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per sqlite run, at most")
    args = parser.parse_args(argv)
    print(f"decode benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, python {sys.version.split()[0]}")
    bench_sqlite(min(args.frames, 100_000), args.terminals, args.budget)
    bench_dynamodb(min(args.ddb_frames, 5_000), min(args.terminals, 50))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
