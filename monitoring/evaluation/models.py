"""Inputs and outputs of rule evaluation: samples, topology, running states and findings.

These types are the rule engine's own view of the world. They are deliberately small and independent of how
readings and the registry are stored; `monitoring.rules.inputs` adapts the registry and readings to them.
All times are timezone-aware UTC; local (Asia/Shanghai) time is used only for days and hours of day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class RunState(IntEnum):
    """Running state of one monitoring point during one minute."""

    UNKNOWN = 0  # no data, or data flagged bad: never read as a stop
    STOP = 1
    RUN = 2


class Role(StrEnum):
    """What a monitoring point meters (产污/治污/总进线/产治一体/间接)."""

    PRODUCTION = "production"
    CONTROL = "control"
    MAIN = "main"
    COMBINED = "combined"
    INDIRECT = "indirect"


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading of one point at one data time (minute resolution is enough for the rules)."""

    at: datetime
    p: float | None = None  # total active power, kW
    ia: float | None = None
    ib: float | None = None
    ic: float | None = None
    ua: float | None = None  # phase voltages, V
    ub: float | None = None
    uc: float | None = None
    energy: float | None = None  # cumulative forward active energy, kWh
    flag: str = "N"  # HJ 212 data flag; anything but N is bad quality
    received_at: datetime | None = None  # arrival time at the platform

    @property
    def good(self) -> bool:
        return self.flag == "N"

    def explain(self) -> dict[str, Any]:
        """The reading as evidence (only the fields that carry a value)."""
        out: dict[str, Any] = {"at": self.at.isoformat()}
        for name in ("p", "ia", "ib", "ic", "ua", "ub", "uc", "energy"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.flag != "N":
            out["flag"] = self.flag
        return out


@dataclass(frozen=True, slots=True)
class TerminalEvent:
    """An SOE or platform-detected event of a terminal (power_off, power_on, param_change, duplicate_mn, clock_skew)."""

    at: datetime
    mn: str
    kind: str
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PointInfo:
    """A monitoring point as the rules see it."""

    id: str
    enterprise_id: str
    role: Role
    mn: str | None = None
    name: str = ""
    rated_kw: float | None = None
    rated_a: float | None = None
    nominal_v: float = 220.0  # phase voltage
    commissioning_kw: float | None = None  # running power measured at commissioning: seeds the baseline
    interval_s: int = 60  # expected reporting interval


@dataclass(frozen=True, slots=True)
class AssociationInfo:
    """Production points and the control points that must run with them (治理线)."""

    id: str
    enterprise_id: str
    production: tuple[str, ...]
    control: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True, slots=True)
class EnterpriseInfo:
    id: str
    name: str = ""
    branch: str | None = None  # enforcement branch (执法分局)
    town: str | None = None


@dataclass(frozen=True, slots=True)
class Topology:
    """The part of the registry the rules need."""

    enterprises: Mapping[str, EnterpriseInfo]
    points: Mapping[str, PointInfo]
    associations: Mapping[str, AssociationInfo]

    _by_enterprise: dict[str, tuple[list[PointInfo], list[AssociationInfo]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def _of(self, enterprise_id: str) -> tuple[list[PointInfo], list[AssociationInfo]]:
        hit = self._by_enterprise.get(enterprise_id)
        if hit is None:
            if not self._by_enterprise:  # build the whole index once: per-enterprise scans are O(points)
                for p in self.points.values():
                    self._by_enterprise.setdefault(p.enterprise_id, ([], []))[0].append(p)
                for a in self.associations.values():
                    self._by_enterprise.setdefault(a.enterprise_id, ([], []))[1].append(a)
            hit = self._by_enterprise.setdefault(enterprise_id, ([], []))
        return hit

    def points_of(self, enterprise_id: str) -> list[PointInfo]:
        return self._of(enterprise_id)[0]

    def associations_of(self, enterprise_id: str) -> list[AssociationInfo]:
        return self._of(enterprise_id)[1]

    def only(self, enterprise_ids: set[str]) -> Topology:
        """The topology restricted to some enterprises (for replay of one enterprise)."""
        return Topology(
            enterprises={k: v for k, v in self.enterprises.items() if k in enterprise_ids},
            points={k: v for k, v in self.points.items() if v.enterprise_id in enterprise_ids},
            associations={k: v for k, v in self.associations.items() if v.enterprise_id in enterprise_ids},
        )


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Finding:
    """One episode of a rule's condition on data time, with its evidence.

    `end` is None while the condition still holds at the end of the evaluated window. Point-in-time violations
    (a wrong start order, a counter going backwards) have start == end.
    """

    rule: str
    subject: str
    enterprise_id: str
    start: datetime
    end: datetime | None
    evidence: Mapping[str, Any]
    quality: Mapping[str, Any]
    point_ids: tuple[str, ...] = ()
    severity: str | None = None  # overrides the catalogue's severity (e.g. site blackout is low)
    truncated: bool = False  # the run touches the start of the evaluated window
    short: bool = False  # below the minimum duration: only valid as the continuation of an open episode
