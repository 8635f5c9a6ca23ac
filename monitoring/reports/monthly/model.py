"""What the monthly report holds: its scope and month (Beijing time), and one section per subject.

Parsing is strict: `parse_month` takes "YYYY-MM" only, `parse_scope` "county", "town:ID" or "branch:ID".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from monitoring._time import CHINA
from monitoring.errors import InvalidInputError

_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # ASCII digits only


class ScopeKind(StrEnum):
    COUNTY = "county"
    TOWN = "town"
    BRANCH = "branch"


SCOPE_NAMES = {ScopeKind.COUNTY: "全县（市）", ScopeKind.TOWN: "镇（街道）", ScopeKind.BRANCH: "执法分局"}


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind
    unit_id: str = ""  # the town's or branch's id; "" for the county

    @property
    def text(self) -> str:
        return self.kind.value if self.kind is ScopeKind.COUNTY else f"{self.kind.value}:{self.unit_id}"


def parse_month(text: str) -> date:
    """The first day of the month "YYYY-MM" (2000 or later); InvalidInputError otherwise."""
    if not isinstance(text, str) or not _MONTH.fullmatch(text) or int(text[:4]) < 2000:
        raise InvalidInputError(f"月份格式应为 YYYY-MM（2000 年以后），收到 {str(text)[:20]!r}")
    return date(int(text[:4]), int(text[5:7]), 1)


def parse_scope(text: str) -> Scope:
    """ "county", "town:<id>" or "branch:<id>"; InvalidInputError otherwise."""
    kind, _, unit = (text or "").strip().partition(":")
    if kind == ScopeKind.COUNTY and not unit:
        return Scope(ScopeKind.COUNTY)
    if kind in (ScopeKind.TOWN, ScopeKind.BRANCH) and re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", unit):
        return Scope(ScopeKind(kind), unit)
    raise InvalidInputError(f"范围应为 county、town:<镇标识> 或 branch:<分局标识>，收到 {str(text)[:40]!r}")


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """UTC [start, end) of the calendar month in Beijing time."""
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    start = datetime(month.year, month.month, 1, tzinfo=CHINA).astimezone(UTC)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=CHINA).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class RuleCount:
    """Alarms of one rule raised in the month, by the state they are in when the report is made."""

    rule: str
    name: str
    total: int
    by_state: dict[str, int]  # AlarmState value → count


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """One time limit (响应 2 h, 核查 24 h) over the month's alarms: met, missed, still running; hours taken."""

    name: str
    limit_h: float
    within: int
    over: int  # done late, or still not done after the limit
    running: int  # not done yet, limit not reached
    median_h: float | None
    p90_h: float | None


@dataclass(frozen=True, slots=True)
class EnterpriseMonth:
    enterprise_id: str
    name: str
    town: str
    branch: str
    install_status: str  # Chinese label
    points: int  # metered points registered
    online_rate: float | None  # mean over its terminals of the share of hours with data; None: no points
    completeness: float | None  # received / expected minute samples over point-days; None: no points
    alarms: int


@dataclass(frozen=True, slots=True)
class AlertCompliance:
    """One emergency alert overlapping the month (or several declared with the same title, level and window, merged),
    over the scope's enterprises covered by any of them."""

    title: str
    level: str
    start: datetime
    end: datetime
    covered: int
    violating: int  # enterprises with an 应急管控 violation alarm in the alert
    without_data: int  # no data during the alert: not judged (a gap is never read as compliance)
    violators: tuple[str, ...]  # names
    declared: int = 1  # alerts merged into this row

    @property
    def compliant(self) -> int:
        return self.covered - self.violating - self.without_data


@dataclass(frozen=True, slots=True)
class MaintenanceRow:
    name: str
    inspections: int
    repairs: int
    last_inspection: date | None
    overdue: bool  # a bound terminal past the 14-day inspection limit at the month's end (or now)


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One town or branch of the county report."""

    kind: str  # 镇（街道） / 执法分局
    name: str
    enterprises: int
    alarms: int
    response_over: int
    online_rate: float | None


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    county: str
    scope: Scope
    scope_name: str
    month: date
    generated_at: datetime  # UTC
    rules: list[RuleCount]
    response: TimeLimit
    investigation: TimeLimit
    enterprises: list[EnterpriseMonth]
    curtailment: list[AlertCompliance]
    campaign: list[tuple[str, int]]  # install status label → enterprises (exempt ones apart)
    exempt: int
    maintenance: list[MaintenanceRow]
    repairs: list[tuple[str, int]] = field(default_factory=list)  # repair state label → obligations of the month
    campaign_name: str = ""  # the county's latest installation campaign; "" when there is none
    campaign_overdue: list[tuple[str, int]] = field(default_factory=list)  # step label → enterprises overdue
    units: list[UnitRow] = field(default_factory=list)  # county scope only
    calendar_warning: str | None = None  # working days counted (filing limit) in a year without a holiday table

    @property
    def title(self) -> str:
        return f"{self.scope_name}工况用电监控月度报告（{self.month.year}年{self.month.month}月）"

    @property
    def alarm_total(self) -> int:
        return sum(r.total for r in self.rules)
