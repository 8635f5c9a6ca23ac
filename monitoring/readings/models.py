"""Reading, Aggregate and Completeness records.

A reading is one sample (or one period's figures) for one monitoring point. Quantities use the standard names
in `QUANTITIES` (already scaled to primary values by CT/PT ratios where the profile says so); anything a
profile cannot map stays in `raw` under its factor code, visible and never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError

# name → (unit, meaning)
QUANTITY_INFO: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "ua": ("V", "A相电压"),
        "ub": ("V", "B相电压"),
        "uc": ("V", "C相电压"),
        "uab": ("V", "AB线电压"),
        "ubc": ("V", "BC线电压"),
        "uca": ("V", "CA线电压"),
        "ia": ("A", "A相电流"),
        "ib": ("A", "B相电流"),
        "ic": ("A", "C相电流"),
        "i0": ("A", "零序电流"),
        "pa": ("kW", "A相有功功率"),
        "pb": ("kW", "B相有功功率"),
        "pc": ("kW", "C相有功功率"),
        "p": ("kW", "总有功功率"),
        "qa": ("kvar", "A相无功功率"),
        "qb": ("kvar", "B相无功功率"),
        "qc": ("kvar", "C相无功功率"),
        "q": ("kvar", "总无功功率"),
        "s": ("kVA", "总视在功率"),
        "pf": ("", "总功率因数"),
        "pfa": ("", "A相功率因数"),
        "pfb": ("", "B相功率因数"),
        "pfc": ("", "C相功率因数"),
        "freq": ("Hz", "频率"),
        "ep_fwd": ("kWh", "正向有功电能"),
        "ep_rev": ("kWh", "反向有功电能"),
        "eq_fwd": ("kvarh", "正向无功电能"),
        "eq_rev": ("kvarh", "反向无功电能"),
        "angle_ua": ("°", "A相电压相角"),
        "angle_ub": ("°", "B相电压相角"),
        "angle_uc": ("°", "C相电压相角"),
        "angle_ia": ("°", "A相电流相角"),
        "angle_ib": ("°", "B相电流相角"),
        "angle_ic": ("°", "C相电流相角"),
        "demand": ("kW", "需量"),
        "run_state": ("", "运行状态(HJ 212 SBn-RS: 0关闭 1运行 2校准 3维护 4报警 5反吹)"),
        "run_hours": ("h", "日运行时长(HJ 212 SBn-RT)"),
        "energy_day": ("kWh", "日耗电量(HJ 212 i33202)"),
    }
)
QUANTITIES: frozenset[str] = frozenset(QUANTITY_INFO)
# Cumulative counters: interval energy is derived from their differences (decode handles reset/rollover).
COUNTERS: frozenset[str] = frozenset({"ep_fwd", "ep_rev", "eq_fwd", "eq_rev"})
_MAX_RAW_ITEMS = 256
_isfinite = math.isfinite
_FLOAT: frozenset[type] = frozenset({float})
_STR: frozenset[type] = frozenset({str})


class ReadingKind(StrEnum):
    """HJ 212 data kinds: 2011 real-time, 2051 minute, 2061 hour, 2031 day."""

    REALTIME = "realtime"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


def _frozen_map(values: Mapping[str, object]) -> MappingProxyType[str, object]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, slots=True)
class Reading:
    """One point's figures at one data time. Identity: (point_id, kind, data_time)."""

    point_id: str
    data_time: datetime  # UTC (the frame's DataTime converted from Asia/Shanghai)
    kind: ReadingKind
    values: Mapping[str, float]
    flags: Mapping[str, str] = field(default_factory=dict)  # quantity → HJ 212 data flag (N, F, M, S, D, C, T, B)
    raw: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # unmapped factor code → {Rtd: .., Flag: ..}
    mn: str = ""
    received_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.point_id:
            raise InvalidInputError("reading.point_id is empty")
        object.__setattr__(self, "data_time", require_utc(self.data_time, "reading.data_time"))
        if self.received_at is not None:
            object.__setattr__(self, "received_at", require_utc(self.received_at, "reading.received_at"))
        if type(self.kind) is not ReadingKind:
            object.__setattr__(self, "kind", ReadingKind(self.kind))
        # Decode builds tens of thousands of readings a second: the checks below take the common case (known
        # names, finite floats, short string flags) in bulk and look at each item only when that fails.
        values = dict(self.values)
        # (a finite sum of floats means every term is finite: an inf or nan term makes the sum inf or nan)
        if not (
            values.keys() <= QUANTITIES
            and set(map(type, values.values())) <= _FLOAT
            and _isfinite(sum(values.values()))
        ):
            values = {name: _checked_value(name, value) for name, value in values.items()}
        object.__setattr__(self, "values", MappingProxyType(values))
        flags = dict(self.flags)
        if flags and not (
            flags.keys() <= QUANTITIES
            and set(map(type, flags.values())) == _STR
            and 0 < min(map(len, flags.values()))
            and max(map(len, flags.values())) <= 4
        ):
            for name, flag in flags.items():
                if name not in QUANTITIES or not isinstance(flag, str) or not 0 < len(flag) <= 4:
                    raise InvalidInputError(f"bad data flag {name!r}={flag!r}")
        object.__setattr__(self, "flags", MappingProxyType(flags))
        if len(self.raw) > _MAX_RAW_ITEMS:
            raise InvalidInputError(f"too many raw items ({len(self.raw)} > {_MAX_RAW_ITEMS})")
        raw = {
            str(code): MappingProxyType({str(k): str(v) for k, v in item.items()}) for code, item in self.raw.items()
        }
        object.__setattr__(self, "raw", MappingProxyType(raw))


def _checked_value(name: str, value: object) -> float:
    if name not in QUANTITIES:
        raise InvalidInputError(f"unknown quantity {name!r}; keep unmapped codes in Reading.raw")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(f"quantity {name!r} must be a finite number, got {value!r}")
    return float(value)


class AggregatePeriod(StrEnum):
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class QuantityStats:
    """Summary of one quantity over a period."""

    count: int
    minimum: float
    maximum: float
    mean: float


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Hourly or daily roll-up of a point. Identity: (point_id, period, start). Recomputing replaces it.

    `start` is UTC; a daily aggregate's day is the Asia/Shanghai calendar day, so it starts at 16:00 UTC.
    """

    point_id: str
    period: AggregatePeriod
    start: datetime
    samples: int
    stats: Mapping[str, QuantityStats] = field(default_factory=dict)
    energy_kwh: float | None = None  # forward active energy used in the period (from counters, never negative)
    run_seconds: float | None = None  # time the point was judged running, when the caller computed it
    computed_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_utc(self.start, "aggregate.start"))
        object.__setattr__(self, "period", AggregatePeriod(self.period))
        if self.samples < 0:
            raise InvalidInputError("aggregate.samples must be ≥ 0")
        if self.energy_kwh is not None and (self.energy_kwh < 0 or not math.isfinite(self.energy_kwh)):
            raise InvalidInputError(f"aggregate.energy_kwh must be finite and ≥ 0, got {self.energy_kwh}")
        if self.computed_at is not None:
            object.__setattr__(self, "computed_at", require_utc(self.computed_at, "aggregate.computed_at"))
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))


@dataclass(frozen=True, slots=True)
class Completeness:
    """How much of the expected data of one point arrived on one China calendar day. Identity: (point_id, day)."""

    point_id: str
    day: date
    kind: ReadingKind  # which series was counted (normally minute data)
    expected: int
    received: int
    first_at: datetime | None = None
    last_at: datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise InvalidInputError("completeness.day must be a date (the China calendar day), not a datetime")
        if self.expected < 0 or self.received < 0:
            raise InvalidInputError("completeness counts must be ≥ 0")
        object.__setattr__(self, "kind", ReadingKind(self.kind))
        for name in ("first_at", "last_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, f"completeness.{name}"))

    @property
    def ratio(self) -> float:
        """Received share of expected, capped at 1 (duplicates never push it above 100 %)."""
        if self.expected == 0:
            return 1.0
        return min(1.0, self.received / self.expected)


@dataclass(frozen=True, slots=True)
class ValueRow:
    """Some quantities of one reading (a projection for charts): values present, and their flags other than N."""

    data_time: datetime
    values: Mapping[str, float]
    flags: Mapping[str, str]
