"""Emergency alerts (黄/橙/红), each enterprise's measures per level, halt orders, and compliance results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """Warning level of a heavy-pollution alert."""

    YELLOW = "yellow"  # 黄色预警
    ORANGE = "orange"  # 橙色预警
    RED = "red"  # 红色预警


LEVEL_NAMES = {Level.YELLOW: "黄色", Level.ORANGE: "橙色", Level.RED: "红色"}


@dataclass(frozen=True, slots=True)
class EmergencyAlert:
    """An alert declared by the bureau; scope None means every enterprise."""

    id: str
    level: Level
    start: datetime
    end: datetime
    title: str = ""
    enterprises: frozenset[str] | None = None
    towns: frozenset[str] | None = None
    declared_by: str = ""
    # The county that declared it ("" for alerts stored before counties were recorded: they belong to the
    # deployment's home county). An alert never reaches another county's enterprises.
    county_id: str = ""

    def in_county(self, county_id: str, home_county: str) -> bool:
        """Whether the alert is `county_id`'s (an alert without a county is the home county's)."""
        return (self.county_id or home_county) == county_id

    def covers(self, enterprise_id: str, town: str | None) -> bool:
        if self.enterprises is None and self.towns is None:
            return True
        return (self.enterprises is not None and enterprise_id in self.enterprises) or (
            self.towns is not None and town is not None and town in self.towns
        )


@dataclass(frozen=True, slots=True)
class LevelMeasures:
    """What one enterprise must do at one level (from its 应急减排清单)."""

    stop_points: tuple[str, ...] = ()  # production lines (points) that must stop
    energy_share: float | None = None  # production energy limited to this share of baseline
    forbidden_hours: tuple[tuple[int, int], ...] = ()  # local [from, to) hours without production (错峰)


@dataclass(frozen=True, slots=True)
class EnterpriseMeasures:
    enterprise_id: str
    levels: Mapping[Level, LevelMeasures] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HaltOrder:
    """An order to stop production (停产整治), open-ended until lifted."""

    id: str
    enterprise_id: str
    start: datetime
    end: datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class IntervalResult:
    """Compliance of one enterprise over one interval of an alert."""

    enterprise_id: str
    start: datetime
    end: datetime
    baseline_kwh: float | None
    actual_kwh: float
    cap_kwh: float | None
    coverage: float  # share of production point-minutes with data
    violations: tuple[Mapping[str, Any], ...]

    @property
    def violating(self) -> bool:
        return bool(self.violations)
