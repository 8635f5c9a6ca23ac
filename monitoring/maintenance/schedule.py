"""The notice's two limits (二.4) as pure functions: an inspection at most every 14 calendar days, a fault repaired
within 24 calendar hours. Exactly at the limit is still in time; one microsecond after is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.registry._labels import LabelledEnum

INSPECTION_INTERVAL = timedelta(days=14)  # 巡查时间间隔不得超过14天 (calendar days, not working days)
REPAIR_LIMIT = timedelta(hours=24)  # 故障排除时间不得超过24小时 (calendar hours)
DUE_SOON = timedelta(days=3)  # shown as 即将到期 this long before the limit


class InspectionState(LabelledEnum):
    OK = ("ok", "正常")
    DUE_SOON = ("due_soon", "即将到期")
    OVERDUE = ("overdue", "已超期")
    NOT_STARTED = ("not_started", "未投运")  # neither inspected nor commissioned: the 14-day clock has not started


class RepairState(LabelledEnum):
    OPEN = ("open", "待维修")
    OVERDUE = ("overdue", "已超时")
    DONE = ("done", "已修复")
    DONE_LATE = ("done_late", "超时修复")
    RECOVERED = ("recovered", "自行恢复")  # the alarm cleared by itself before the limit, no repair needed


@dataclass(frozen=True, slots=True)
class InspectionDue:
    """Where a terminal stands against the 14-day limit."""

    mn: str
    enterprise_id: str
    state: InspectionState
    last_inspection_at: datetime | None
    last_entry_id: str
    baseline_at: datetime | None  # the last inspection, else the commissioning the clock starts from
    due_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.state is InspectionState.OVERDUE


def inspection_due(
    mn: str,
    enterprise_id: str,
    now: datetime,
    *,
    last_inspection: tuple[datetime, str] | None,
    commissioned_at: datetime | None,
) -> InspectionDue:
    """The terminal's next inspection: 14 days after its last one, or after its commissioning if never inspected."""
    baseline = last_inspection[0] if last_inspection else commissioned_at
    if baseline is None:
        state, due = InspectionState.NOT_STARTED, None
    else:
        due = baseline + INSPECTION_INTERVAL
        if now > due:
            state = InspectionState.OVERDUE
        elif now >= due - DUE_SOON:
            state = InspectionState.DUE_SOON
        else:
            state = InspectionState.OK
    return InspectionDue(
        mn=mn,
        enterprise_id=enterprise_id,
        state=state,
        last_inspection_at=last_inspection[0] if last_inspection else None,
        last_entry_id=last_inspection[1] if last_inspection else "",
        baseline_at=baseline,
        due_at=due,
    )


def repair_state(
    opened_at: datetime, now: datetime, *, repaired_at: datetime | None, recovered_at: datetime | None
) -> RepairState:
    """A repair obligation opened at `opened_at`: met by a repair record, or lapsed when the fault cleared by
    itself within the limit (an alarm's condition ended); otherwise overdue once 24 h have passed."""
    deadline = opened_at + REPAIR_LIMIT
    if repaired_at is not None:
        return RepairState.DONE if repaired_at <= deadline else RepairState.DONE_LATE
    if recovered_at is not None and recovered_at <= deadline:
        return RepairState.RECOVERED
    return RepairState.OVERDUE if now > deadline else RepairState.OPEN
