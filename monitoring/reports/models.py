"""Fault reports and stoppage/removal requests filed by an enterprise or its service provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FaultKind(StrEnum):
    CONTROL_EQUIPMENT = "control_equipment"  # 污染治理设施故障
    MONITORING = "monitoring"  # 用电工况监控设备故障


class StoppageKind(StrEnum):
    CONTROL_STOP = "control_stop"  # 治污设施停运（检修）
    MONITORING_STOP = "monitoring_stop"  # 监控设施停运
    MONITORING_REMOVAL = "monitoring_removal"  # 监控设施拆除


class Decision(StrEnum):
    PENDING = "pending"  # 待审批
    APPROVED = "approved"  # 同意
    REJECTED = "rejected"  # 不同意
    DEEMED_APPROVED = "deemed_approved"  # 逾期未决定，视为同意 (第七条)


@dataclass(frozen=True, slots=True)
class FaultReport:
    """故障申报: due within 2 h of the fault (第七条); open until resolved."""

    id: str
    enterprise_id: str
    kind: FaultKind
    point_ids: tuple[str, ...]
    fault_start: datetime
    filed_at: datetime
    filed_by: str
    description: str
    photos: tuple[str, ...] = ()
    resolved_at: datetime | None = None
    acknowledged_by: str | None = None

    @property
    def filed_late(self) -> bool:
        return (self.filed_at - self.fault_start).total_seconds() > 2 * 3600


@dataclass(frozen=True, slots=True)
class StoppageRequest:
    """停运/拆除报备: decided by the branch within 5 working days, else deemed approved."""

    id: str
    enterprise_id: str
    kind: StoppageKind
    point_ids: tuple[str, ...]
    start: datetime
    end: datetime | None
    reason: str
    filed_at: datetime
    filed_by: str
    decision: Decision = Decision.PENDING
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str = ""
