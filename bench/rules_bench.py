"""Rule evaluation cost per tick: N points / M associations of synthetic minute data, in-memory stores.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitoring.evaluation.config import load_defaults  # noqa: E402
from monitoring.evaluation.models import AssociationInfo, EnterpriseInfo, PointInfo, Role, Sample, Topology  # noqa: E402
from monitoring.rules.inputs import MemoryRuleInputs  # noqa: E402
from monitoring.rules.service import Emergency, Stores, evaluate_rules  # noqa: E402
from monitoring.storage.memory import memory_store  # noqa: E402
from monitoring.storage.ports import Store  # noqa: E402

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def build(enterprises: int, seed: int) -> tuple[Topology, dict[str, list[Sample]]]:
    """Each enterprise: 4 production points, 5 control points, 1 main feeder; 5 associations."""
    ents, points, assocs = {}, {}, {}
    for e in range(enterprises):
        eid = f"E{e:04d}"
        ents[eid] = EnterpriseInfo(eid, f"企业{e}", f"B{e % 6}", f"T{e % 20}")
        prods = [f"{eid}-P{i}" for i in range(4)]
        ctrls = [f"{eid}-C{i}" for i in range(5)]
        for i, pid in enumerate(prods):
            points[pid] = PointInfo(
                pid, eid, Role.PRODUCTION, f"{eid}M{i % 2}", rated_kw=80.0, rated_a=150.0, commissioning_kw=50.0
            )
        for i, pid in enumerate(ctrls):
            points[pid] = PointInfo(
                pid, eid, Role.CONTROL, f"{eid}M{2 + i % 2}", rated_kw=30.0, rated_a=60.0, commissioning_kw=20.0
            )
        points[f"{eid}-M"] = PointInfo(f"{eid}-M", eid, Role.MAIN, f"{eid}M4", rated_kw=500.0, rated_a=900.0)
        for i in range(5):
            aid = f"{eid}-A{i}"
            assocs[aid] = AssociationInfo(aid, eid, (prods[i % 4],), (ctrls[i],))
    topo = Topology(ents, points, assocs)
    return topo, {}


def feed(inputs: MemoryRuleInputs, topo: Topology, start: datetime, minutes: int, seed: int) -> int:
    """Minute readings with noise; ~2 % of control points stop for a while, ~1 % of terminals go quiet."""
    rng = random.Random(seed)
    count = 0
    for pid, p in topo.points.items():
        base = {Role.PRODUCTION: 55.0, Role.CONTROL: 20.0, Role.MAIN: 300.0}.get(p.role, 10.0)
        stops = p.role == Role.CONTROL and rng.random() < 0.02
        quiet = rng.random() < 0.01
        rows = []
        energy = 1000.0
        for m in range(minutes):
            if quiet and m > minutes // 2:
                break
            kw = 0.0 if stops and m > minutes // 3 else base * (1 + rng.uniform(-0.05, 0.05))
            amps = kw * 1.6
            energy += kw / 60
            rows.append(
                Sample(
                    start + m * MIN,
                    p=round(kw, 2),
                    ia=amps,
                    ib=amps * 1.01,
                    ic=amps * 0.99,
                    ua=230.0 + rng.uniform(-3, 3),
                    ub=229.0,
                    uc=231.0,
                    energy=round(energy, 2),
                    received_at=start + m * MIN + timedelta(seconds=20),
                )
            )
        inputs.add(pid, rows)
        count += len(rows)
    return count


def _sqlite_inputs(store: Store, inputs: MemoryRuleInputs, topo: Topology) -> object:
    """Copy the synthetic readings into the sqlite reading table; read them back with the fast reader."""
    from monitoring.readings.models import Reading, ReadingKind

    repo = store.readings
    assert store.sample_reader is not None
    make_reader = store.sample_reader
    c0 = time.process_time()
    far = datetime(2100, 1, 1, tzinfo=UTC)
    for pid, rows in inputs.samples(list(topo.points), datetime(2000, 1, 1, tzinfo=UTC), far).items():
        fields = ("p", "ia", "ib", "ic", "ua", "ub", "uc")
        readings = [
            Reading(
                pid,
                s.at,
                ReadingKind.MINUTE,
                {**{f: getattr(s, f) for f in fields}, "ep_fwd": s.energy},
                received_at=s.received_at,
            )
            for s in rows
        ]
        repo.put_readings(readings)
    print(f"stored the readings in sqlite in {time.process_time() - c0:.1f} s CPU")

    class Inputs:
        def __init__(self) -> None:
            self.reader = make_reader()

        def begin_tick(self, now: datetime) -> None:
            pass

        def topology(self) -> Topology:
            return topo

        def samples(self, point_ids, start, end):  # type: ignore[no-untyped-def]
            return self.reader.samples(point_ids, start, end)

        def events(self, mns, start, end):  # type: ignore[no-untyped-def]
            return []

        def late_arrivals(self, received_since, data_before):  # type: ignore[no-untyped-def]
            return {}

    return Inputs()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=300)
    ap.add_argument("--history-min", type=int, default=120)
    ap.add_argument("--ticks", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sqlite", action="store_true", help="alarm/state stores on sqlite (temp file)")
    ap.add_argument(
        "--sqlite-readings",
        action="store_true",
        help="readings in the embedded sqlite store too, read by the cached one-query reader (the local mode)",
    )
    args = ap.parse_args()
    topo, _ = build(args.enterprises, args.seed)
    inputs = MemoryRuleInputs(topo)
    t_build = time.process_time()
    n = feed(inputs, topo, T0 - timedelta(minutes=args.history_min), args.history_min + args.ticks + 1, args.seed)
    t_build = time.process_time() - t_build
    rule_inputs: object = inputs
    if args.sqlite or args.sqlite_readings:
        from monitoring.storage.sqlite import open_store

        store = open_store(Path(tempfile.mkdtemp()) / "bench.db", synchronous="NORMAL")
        backend = "sqlite"
        if args.sqlite_readings:
            rule_inputs = _sqlite_inputs(store, inputs, topo)
            backend = "sqlite (alarms, state and readings)"
    else:
        store = memory_store()
        backend = "memory"
    stores = Stores(rule_inputs, store.rule_state, store.alarms, store.audit, store.reports)  # type: ignore[arg-type]
    config = load_defaults()
    print(
        f"points={len(topo.points)} associations={len(topo.associations)} enterprises={len(topo.enterprises)} "
        f"readings={n} (built in {t_build:.1f} s CPU) stores={backend}"
    )
    c0 = time.process_time()
    first = evaluate_rules(stores, config, Emergency(), T0)
    print(
        f"first tick (cold: slow cadence + baselines seeded): {time.process_time() - c0:.3f} s CPU, "
        f"alarms changed {len(first.changed)}"
    )
    fast: list[float] = []
    for i in range(1, args.ticks + 1):
        now = T0 + i * MIN
        c0, w0 = time.process_time(), time.perf_counter()
        result = evaluate_rules(stores, config, Emergency(), now)
        cpu = time.process_time() - c0
        ran_slow = sum(
            (store.rule_state.get(f"ent:{e}") or {}).get("slow_until") == (now - 2 * MIN).isoformat()
            for e in topo.enterprises
        )
        fast.append(cpu)
        print(
            f"tick {i:2d}: {cpu:.3f} s CPU ({time.perf_counter() - w0:.3f} s wall), "
            f"{ran_slow} enterprises ran the slow (flat-line) rules, alarms changed {len(result.changed)}"
        )
    if fast:
        print(
            f"steady tick: mean {statistics.mean(fast):.3f} s CPU, median {statistics.median(fast):.3f}, "
            f"max {max(fast):.3f} s CPU over {len(fast)} ticks"
        )
    from collections import Counter

    alarms = store.alarms.list(limit=100000)
    print(f"alarms: {len(alarms)} by rule {dict(Counter(a.rule for a in alarms))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
