"""Cost of the people-facing reads (monitoring.views) on sqlite: enterprise list and file, series, energy, timeline,
dashboard. A county of N enterprises, minute data for a sample of points. More: docs/monitoring.md §9.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitoring.alarms.models import Alarm, AlarmState, Episode  # noqa: E402
from monitoring.clock import FixedClock  # noqa: E402
from monitoring.evaluation.config import load_defaults  # noqa: E402
from monitoring.readings.models import Aggregate, AggregatePeriod, QuantityStats, Reading, ReadingKind  # noqa: E402
from monitoring.registry.models import (  # noqa: E402
    Association,
    Branch,
    County,
    Enterprise,
    EnterpriseCategory,
    Facility,
    FacilityKind,
    MonitoringPoint,
    Town,
)
from monitoring.registry.terminal import Terminal, hash_password  # noqa: E402
from monitoring.rules.state_docs import EnterpriseStatus  # noqa: E402
from monitoring.storage.ports import Store  # noqa: E402
from monitoring.storage.sqlite import open_store  # noqa: E402
from monitoring.views import dashboard, energy, enterprises, series, timeline  # noqa: E402
from monitoring.views.series_cache import SeriesCache  # noqa: E402

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 14:00 Beijing time
QUANTITIES = "ua ub uc uab ubc uca ia ib ic p pa pb pc q s pf freq ep_fwd".split()


def build(store: Store, enterprises_n: int, sampled: int) -> list[str]:
    reg = store.registry
    reg.put_county(County("rugao", "如皋市"))
    for t in range(20):
        reg.put_town(Town(f"t{t}", "rugao", f"镇{t}"))
    for b in range(6):
        reg.put_branch(Branch(f"b{b}", "rugao", f"执法{b + 1}局"))
    pw = hash_password("123456", n=2**4)
    with store.batch():
        for i in range(enterprises_n):
            eid = f"E{i:04d}"
            reg.put_enterprise(
                Enterprise(
                    eid,
                    "rugao",
                    f"如皋市第{i}化工有限公司",
                    f"t{i % 20}",
                    f"b{i % 6}",
                    EnterpriseCategory.AIR_CONTROL,
                    list_seq=i + 1,
                )
            )
            reg.put_facility(
                Facility(f"{eid}-F1", eid, "MF0001", "生产线", FacilityKind.PRODUCTION, rated_power_kw=100.0)
            )
            reg.put_facility(Facility(f"{eid}-F2", eid, "TA001", "治污设施", FacilityKind.CONTROL, rated_power_kw=20.0))
            mn = f"MN{i:06d}"
            reg.put_terminal(Terminal(mn, "rugao", pw, enterprise_id=eid, online=True, last_frame_at=NOW))
            for n, (fid, role) in enumerate(
                ((f"{eid}-F1", FacilityKind.PRODUCTION), (f"{eid}-F2", FacilityKind.CONTROL))
            ):
                reg.put_point(
                    MonitoringPoint(f"{eid}-P{n}", eid, fid, f"{eid}-C{n}", "电表", role, mn=mn, channel=f"0{n}")
                )
            reg.put_association(Association(f"{eid}-A", eid, "治理线", f"{eid}-F2", (f"{eid}-F1",)))
            EnterpriseStatus(eid, NOW - timedelta(minutes=2), "producing", (f"{eid}-P0",), (), (), 80.0, 15.0).save(
                store.rule_state
            )
            if i % 3 == 0:
                ep = Episode(NOW - timedelta(hours=4), None, {}, {})
                alarm = Alarm(
                    f"al{i}",
                    "control_stopped",
                    f"assoc:{eid}-A",
                    eid,
                    "high",
                    AlarmState.PENDING,
                    (ep,),
                    NOW - timedelta(hours=3),
                    NOW,
                )
                store.alarms.put(alarm, expected_version=None)
    points = [f"E{i:04d}-P{n}" for i in range(sampled) for n in (0, 1)]
    values = {q: 10.0 + k for k, q in enumerate(QUANTITIES)}
    with store.batch():  # one commit: the set-up is not what is measured
        _fill(store, points, values)
    return points


def _fill(store: Store, points: list[str], values: dict[str, float]) -> None:
    for pid in points:
        store.readings.put_readings(
            [
                Reading(
                    pid,
                    NOW - timedelta(minutes=m),
                    ReadingKind.MINUTE,
                    values,
                    {q: "N" for q in values},
                    received_at=NOW,
                )
                for m in range(1, 2 * 1440 + 1)
            ]
        )
        stats = {"p": QuantityStats(60, 5.0, 95.0, 50.0)}
        for h in range(24 * 31):
            start = NOW - timedelta(hours=h + 1)
            store.readings.put_aggregate(Aggregate(pid, AggregatePeriod.HOUR, start, 60, stats, energy_kwh=40.0))
        for d in range(31):
            start = NOW - timedelta(days=d + 1)
            store.readings.put_aggregate(Aggregate(pid, AggregatePeriod.DAY, start, 1440, energy_kwh=900.0))


def measure(name: str, fn: Callable[[int], object], runs: int) -> None:
    fn(0)  # warm
    took = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i + 1)
        took.append((time.perf_counter() - t) * 1000)
    took.sort()
    p95 = took[min(len(took) - 1, int(0.95 * len(took)))]
    print(f"{name:<42} median {statistics.median(took):7.2f} ms   p95 {p95:7.2f} ms")


def cases(store: Store, points: list[str], runs: int) -> list[tuple[str, Callable[[int], object]]]:
    cfg = load_defaults()
    cache: SeriesCache[series.SeriesRow] = SeriesCache()
    everyone, search = enterprises.EnterpriseFilter(), enterprises.EnterpriseFilter(q="第1", town_id="t1")

    def day(i: int) -> tuple[datetime, datetime]:
        end = NOW - timedelta(minutes=runs - i)  # a window that slides as the dashboard refreshes
        return end - timedelta(hours=24), end

    week = (NOW - timedelta(days=7), NOW)
    kw: dict[str, Any] = {"visible": None, "now": NOW}
    e0, e1, p0 = "E0000", "E0001", points[0]
    return [
        ("enterprise list (first page of 50)", lambda i: enterprises.list_enterprises(store, "rugao", everyone, **kw)),
        ("enterprise list, search + town", lambda i: enterprises.list_enterprises(store, "rugao", search, **kw)),
        ("enterprise file (一企一档)", lambda i: enterprises.enterprise_file(store, e1, **kw)),
        ("point 24 h series, uncached", lambda i: series.point_series(store, points[i % len(points)], *day(i), **kw)),
        ("point 24 h series, cached, sliding", lambda i: series.point_series(store, p0, *day(i), cache=cache, **kw)),
        ("point 7 d series (hourly buckets)", lambda i: series.point_series(store, p0, *week, **kw)),
        ("enterprise daily energy, 30 days", lambda i: energy.daily_energy(store, e0, **kw)),
        ("enterprise timeline, today", lambda i: timeline.enterprise_timeline(store, e0, None, config=cfg, **kw)),
        ("dashboard summary, uncached", lambda i: dashboard.dashboard_summary(store, "rugao", **kw)),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--enterprises", type=int, default=301)
    ap.add_argument("--sampled", type=int, default=5, help="enterprises whose two points get 2 days of minute data")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "views.db", clock=FixedClock(NOW))
        t = time.perf_counter()
        points = build(store, args.enterprises, args.sampled)
        took = time.perf_counter() - t
        print(f"county: {args.enterprises} enterprises, {len(points)} points with minute data (built in {took:.1f} s)")
        for name, fn in cases(store, points, args.runs):
            measure(name, fn, args.runs)
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
