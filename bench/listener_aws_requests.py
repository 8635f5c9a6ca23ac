"""Benchmark: the AWS listener's DynamoDB requests and capacity units, per operation and per frame, on DynamoDB Local.

More: docs/iot_ingest.md, "Wiring (composition root)".
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from bench._local_backend import local_backend
from iot_ingest.adapters.directory import CachedRegistryDirectory
from iot_ingest.adapters.store import StoreCommandQueue
from iot_ingest.config import Settings
from monitoring.clock import FixedClock
from monitoring.registry.terminal import hash_password
from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.leases import DynamoDBSessionLeases
from monitoring.storage.dynamodb.metering import CapacityMeter, OperationUsage
from monitoring.storage.dynamodb.tables import table_name
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
PW = "123456"


Cost = tuple[float, float, float]  # requests, read units, write units


def _take(meter: CapacityMeter) -> Cost:
    total: OperationUsage = meter.total()
    meter.reset()
    return float(total.requests), total.read_units, total.write_units


def _scaled(c: Cost, factor: float) -> Cost:
    return c[0] * factor, c[1] * factor, c[2] * factor


def _sum(*costs: Cost) -> Cost:
    return sum(c[0] for c in costs), sum(c[1] for c in costs), sum(c[2] for c in costs)


def _line(what: str, c: Cost, per: float = 1.0) -> None:
    print(f"  {what:<58} {c[0] / per:>10.4f} req {c[1] / per:>10.4f} RRU {c[2] / per:>10.4f} WRU")


def _seed(store: Store, terminals: int) -> list[str]:
    b.seed_jurisdictions(store.registry)
    digest = hash_password(PW, n=2)
    mns = [f"0100{i:020d}" for i in range(terminals)]
    for mn in mns:
        store.registry.put_terminal(b.terminal(mn, password_hash=digest))
    return mns


async def _measure(backend: DynamoDBBackend, store: Store, mns: list[str], tasks: int) -> dict[str, Cost]:
    meter = backend.meter
    held = mns[: max(1, len(mns) // tasks)]  # one task's share behind the NLB
    out: dict[str, Cost] = {}
    meter.reset()
    directory = CachedRegistryDirectory(store, counties=["rugao"])
    await directory.check(mns[0], PW)
    out["county load"] = _take(meter)
    for mn in held * 3:  # three frames each, every one on a new connection (no per-session cache helps)
        await directory.check(mn, PW)
        await directory.uses_modbus_crc(mn)
    out["frames"] = _take(meter)
    for i in range(20):
        await directory.check(f"9999{i:020d}", PW)
    out["unknown MNs"] = _take(meter)
    queue = StoreCommandQueue(store, FixedClock(NOW))
    await queue.expire(NOW)
    await queue.pending("task-a", held)
    out["command poll"] = _take(meter)
    leases = DynamoDBSessionLeases(backend.client, table_name(backend.table_prefix, schema.STATE))
    for mn in held:
        leases.claim(mn, "task-a", 60)
    out["session claims"] = _take(meter)
    leases.renew(held, "task-a", 60)
    out["lease renewal"] = _take(meter)
    for mn in held:
        leases.release(mn, "task-a")
    out["session releases"] = _take(meter)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=1500, help="terminals in the county (the directory loads all)")
    parser.add_argument("--tasks", type=int, default=2, help="listener tasks sharing them")
    parser.add_argument("--frames-per-minute", type=float, default=1.0, help="per terminal")
    args = parser.parse_args()
    if not (1 <= args.terminals <= 5000 and 1 <= args.tasks <= 100 and 0.01 <= args.frames_per_minute <= 60):
        parser.error("bounds: terminals 1..5000, tasks 1..100, frames-per-minute 0.01..60")
    with local_backend("lsn") as backend:
        store = backend.store(clock=FixedClock(NOW))
        mns = _seed(store, args.terminals)
        got = asyncio.run(_measure(backend, store, mns, args.tasks))
        held = max(1, args.terminals // args.tasks)
        print(f"AWS listener on DynamoDB Local: {args.terminals} terminals, {args.tasks} tasks ({held} held each)")
        _line("county load (once per task per directory_refresh)", got["county load"])
        _line(f"{3 * held} frames of known terminals, per frame", got["frames"], 3 * held)
        _line("20 unknown MNs, per MN (then negative for 60 s)", got["unknown MNs"], 20)
        _line(f"command poll (expire + pending) for {held} held MNs", got["command poll"])
        _line("session claim, per session", got["session claims"], held)
        _line(f"lease renewal with {held} held MNs", got["lease renewal"])
        _line("session release, per session", got["session releases"], held)
        # DynamoDB Local reports no units for a Query that finds nothing; AWS bills one 4 KB read at least: 0.5 RRU
        # for the (eventually consistent) pending index, 1 RRU for the (strongly consistent) lease inbox.
        poll, renewal = got["command poll"], got["lease renewal"]
        got["command poll"] = (poll[0], max(poll[1], 0.5), poll[2])
        got["lease renewal"] = (renewal[0], max(renewal[1], 1.0), renewal[2])
        s = Settings()
        hour = 3600.0
        per_task_hour = _sum(
            _scaled(got["county load"], hour / s.directory_refresh),
            _scaled(got["command poll"], hour / s.command_poll_interval),
            _scaled(got["lease renewal"], hour / (s.lease_seconds / 3)),
        )
        frames_hour = args.terminals * args.frames_per_minute * 60
        total = _scaled(per_task_hour, args.tasks)
        print("steady state with AWS's minimum read charge,")
        print(f"defaults (refresh {s.directory_refresh:g} s, poll {s.command_poll_interval:g} s, "
              f"lease {s.lease_seconds:g} s), {frames_hour:,.0f} frames/hour:")  # fmt: skip
        _line("all tasks, per frame", total, frames_hour)
        _line("all tasks, per terminal-month (730 h)", _scaled(total, 730 / args.terminals))


if __name__ == "__main__":
    main()
