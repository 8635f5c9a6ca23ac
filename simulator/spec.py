"""The static description of a simulated enterprise: its monitoring points, terminals and channels."""

from __future__ import annotations

from dataclasses import dataclass

ROLE_ZH = {"production": "产污设施", "control": "治污设施", "main": "总进线"}


@dataclass(frozen=True)
class PointSpec:
    """One monitored three-phase circuit (监测点位)."""

    id: str
    code: str  # facility-style code: MF0001 (production), TA001 (control), ZJX01 (main incoming)
    name: str  # Chinese facility name
    role: str  # production | control | main
    rated_kw: float
    pf_nom: float = 0.85  # power factor at rated load
    level: float = 0.8  # typical load as a fraction of rated when running
    ramp_min: float = 5.0  # start-up ramp
    serves: tuple[str, ...] = ()  # for control points: the production points it treats


@dataclass(frozen=True)
class TerminalSpec:
    """One 4G terminal (数采仪): MN, password and the points on its channels (1-based)."""

    mn: str
    password: str
    channels: tuple[tuple[int, str], ...]  # (channel number, point id)
    registered: bool = True  # False: the platform's registry does not know this MN


@dataclass(frozen=True)
class EnterpriseSpec:
    id: str
    seq: int
    name: str
    town: str
    category: str
    branch: str
    industry: str
    shift: str  # a key of schedule.SHIFT_PATTERNS
    scenario: str
    lat: float
    lng: float
    points: tuple[PointSpec, ...]
    terminals: tuple[TerminalSpec, ...]
    lead_min: float = 5.0  # control starts this long before production when behaving
    lag_min: float = 10.0  # and stops this long after

    def point(self, point_id: str) -> PointSpec:
        for p in self.points:
            if p.id == point_id:
                return p
        raise KeyError(point_id)

    def points_of(self, role: str, select: str = "all") -> list[PointSpec]:
        """Points of a role ('all' = every point); select='first' keeps only the first."""
        pts = [p for p in self.points if role == "all" or p.role == role]
        return pts[:1] if select == "first" else pts
