"""The evaluation context as the rules see it: the per-minute Context plus the situation they judge against."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.evaluation.context import Context
from monitoring.rules.situation import ControlFault


@dataclass
class RuleContext(Context):
    alerts: Sequence[EmergencyAlert] = ()
    measures: Mapping[str, EnterpriseMeasures] = field(default_factory=dict)  # enterprise id -> measures
    halts: Sequence[HaltOrder] = ()
    faults: Sequence[ControlFault] = ()
    # When the platform began watching the enterprise: before it, a silent terminal is unknown, not offline.
    watched_since: datetime | None = None
