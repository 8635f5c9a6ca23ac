"""One enterprise's evaluation in one tick: what every pass shares, frozen once the tick has loaded it.

The fast, hourly, slow and daily passes differ only in the window they evaluate and the rules they run; the
enterprise, the repositories, the situation (emergency, faults, suppressions) and the learned baselines are
the same for all of them and live here instead of travelling as ten positional arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitoring.alarms import reconcile as rec
from monitoring.alarms.models import Alarm
from monitoring.alarms.ports import AlarmRepository, AuditLog
from monitoring.evaluation.config import RuleConfig
from monitoring.evaluation.context import MINUTE, Suppression
from monitoring.evaluation.models import EnterpriseInfo, Finding, PointInfo, Topology
from monitoring.evaluation.ports import RuleInputs
from monitoring.reports.ports import ReportRepository
from monitoring.rules.ports import RuleStateRepository
from monitoring.rules.rule_context import RuleContext
from monitoring.rules.situation import ControlFault, Emergency


@dataclass
class Stores:
    """The repositories one evaluation reads and writes."""

    inputs: RuleInputs
    state: RuleStateRepository
    alarms: AlarmRepository
    audit: AuditLog
    reports: ReportRepository


@dataclass(frozen=True)
class EnterpriseTick:
    stores: Stores
    config: RuleConfig
    emergency: Emergency
    topology: Topology
    enterprise: EnterpriseInfo
    now: datetime  # processing time of the tick
    horizon: datetime  # data time evaluated up to (now - settle)
    suppressions: Sequence[Suppression]
    faults: Sequence[ControlFault]
    watched_since: datetime
    baselines: Mapping[str, Mapping[int, float]]  # point -> local hour -> kW, as learned before today

    @property
    def points(self) -> list[PointInfo]:
        return self.topology.points_of(self.enterprise.id)

    def params(self, section: str, **scope: str) -> dict[str, Any]:
        return self.config.params(section, enterprise=self.enterprise.id, **scope)

    def context(
        self, start: datetime, end: datetime, baselines: Mapping[str, Mapping[int, float]] | None = None
    ) -> RuleContext:
        """The enterprise's minutes [start, end), readings loaded from a warm-up before start (running_state)."""
        rs = self.params("running_state")
        warmup = timedelta(minutes=2 * rs["memory_min"] + 5)
        points = self.points
        samples = self.stores.inputs.samples([p.id for p in points], start - warmup, end)
        mns = sorted({p.mn for p in points if p.mn})
        events = self.stores.inputs.events(mns, start, end) if mns else []
        return RuleContext(
            self.enterprise,
            self.topology,
            self.config,
            start,
            max(0, int((end - start) // MINUTE)),
            self.now,
            samples,
            events,
            self.suppressions,
            self.baselines if baselines is None else baselines,
            alerts=self.emergency.alerts,
            measures=self.emergency.measures,
            halts=self.emergency.halts,
            faults=self.faults,
            watched_since=self.watched_since,
        )

    def reconcile(
        self,
        findings: Iterable[Finding],
        rules: Iterable[str],
        ws: datetime,
        subjects: set[tuple[str, str]] | None = None,
    ) -> list[Alarm]:
        """Findings of the window from ws → stored alarms (alarms.reconcile)."""
        s = self.stores
        return rec.reconcile(findings, rules, self.enterprise.id, ws, self.now, s.alarms, s.audit, subjects=subjects)
