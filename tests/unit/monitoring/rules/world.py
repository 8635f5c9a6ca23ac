"""A small synthetic world for scenario tests: one enterprise, production P1/P2, control C1, main M1.

Times: T0 is Monday 2026-11-23 00:00 UTC (08:00 Beijing). Readings are one per minute and arrive in real time
unless a test says otherwise; `tick` runs one evaluation at a processing time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring.alarms.models import Alarm
from monitoring.evaluation.config import load_defaults
from monitoring.evaluation.models import AssociationInfo, EnterpriseInfo, PointInfo, Role, Sample, Topology
from monitoring.rules.inputs import MemoryRuleInputs
from monitoring.rules.service import Emergency, Stores, TickResult, evaluate_rules
from monitoring.storage.rules_memory import (
    MemoryAlarmRepository,
    MemoryAuditLog,
    MemoryReportRepository,
    MemoryRuleState,
)

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def at(hhmm: str, day: int = 0) -> datetime:
    """A UTC time on T0's day, e.g. at("01:30")."""
    h, m = hhmm.split(":")
    return T0 + timedelta(days=day, hours=int(h), minutes=int(m))


def topology(*, with_p2: bool = False) -> Topology:
    points = {
        "P1": PointInfo("P1", "E1", Role.PRODUCTION, "MN1", "喷涂线", rated_kw=100.0, commissioning_kw=60.0),
        "C1": PointInfo("C1", "E1", Role.CONTROL, "MN2", "引风机", rated_kw=30.0, commissioning_kw=20.0),
        "M1": PointInfo("M1", "E1", Role.MAIN, "MN3", "总进线", rated_kw=300.0),
    }
    if with_p2:
        points["P2"] = PointInfo("P2", "E1", Role.PRODUCTION, "MN1", "烘箱", rated_kw=50.0, commissioning_kw=40.0)
    prod = ("P1", "P2") if with_p2 else ("P1",)
    return Topology(
        enterprises={"E1": EnterpriseInfo("E1", "如皋示例化工有限公司", "执法一局", "如城街道")},
        points=points,
        associations={"A1": AssociationInfo("A1", "E1", prod, ("C1",), "喷涂废气治理线")},
    )


def volts(v: float = 230.0) -> dict[str, float]:
    return {"ua": v, "ub": v, "uc": v}


class World:
    def __init__(self, topo: Topology | None = None, stores: Stores | None = None) -> None:
        self.inputs = MemoryRuleInputs(topo or topology())
        self.stores = stores or Stores(
            self.inputs, MemoryRuleState(), MemoryAlarmRepository(), MemoryAuditLog(), MemoryReportRepository()
        )
        self.config = load_defaults()
        self.emergency = Emergency()

    def feed(
        self,
        point: str,
        start: datetime,
        end: datetime,
        p: float | Callable[[datetime], float | None] | None = None,
        *,
        received_at: datetime | None = None,
        flag: str = "N",
        **fields: Any,
    ) -> None:
        """One reading a minute for [start, end); p may be a function of time; received in real time by default."""
        rows = []
        t = start
        while t < end:
            value = p(t) if callable(p) else p
            rows.append(Sample(t, p=value, flag=flag, received_at=received_at or t + timedelta(seconds=20), **fields))
            t += MIN
        self.inputs.add(point, rows)

    def running(self, start: datetime, end: datetime, *, p1: float = 60.0, c1: float = 20.0, m1: float = 90.0) -> None:
        """Production and control both running normally, main feeder loaded."""
        self.feed("P1", start, end, p1, **volts(), ia=90.0, ib=90.0, ic=90.0)
        self.feed("C1", start, end, c1, **volts(), ia=30.0, ib=30.0, ic=30.0)
        self.feed("M1", start, end, m1, **volts())

    def tick(self, now: datetime, **kw: Any) -> TickResult:
        return evaluate_rules(self.stores, self.config, self.emergency, now, **kw)

    def run(self, start: datetime, end: datetime, step: timedelta = timedelta(minutes=5)) -> None:
        t = start
        while t <= end:
            self.tick(t)
            t += step

    def alarms(self, rule: str | None = None) -> list[Alarm]:
        found = self.stores.alarms.list(limit=10000)
        return sorted((a for a in found if rule is None or a.rule == rule), key=lambda a: a.data_start)
