"""What the rules read beside readings: the emergency situation in force and control-equipment faults.

Loaded once per tick (emergency) or per enterprise (faults) and handed to the rules as typed fields of the
RuleContext, so no rule looks anything up by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.reports.models import FaultKind, FaultReport


@dataclass(frozen=True)
class Emergency:
    """Emergency configuration in force: alerts, measures per enterprise, halt orders."""

    alerts: Sequence[EmergencyAlert] = ()
    measures: Mapping[str, EnterpriseMeasures] = field(default_factory=dict)
    halts: Sequence[HaltOrder] = ()


@dataclass(frozen=True, slots=True)
class ControlFault:
    """A reported control-equipment fault as the fault-overrun rule reads it."""

    ref: str  # "fault:<report id>", quoted in evidence
    point_ids: frozenset[str]
    start: datetime
    resolved_at: datetime | None


def control_faults(faults: Sequence[FaultReport]) -> list[ControlFault]:
    return [
        ControlFault(f"fault:{f.id}", frozenset(f.point_ids), f.fault_start, f.resolved_at)
        for f in faults
        if f.kind == FaultKind.CONTROL_EQUIPMENT
    ]
