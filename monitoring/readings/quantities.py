"""The canonical quantity vocabulary: names, phases, dimensions, canonical units and accepted unit scales.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class Quantity:
    """One canonical electrical (or facility) quantity."""

    name: str
    dimension: str
    phase: str | None  # "A", "B", "C", "AB", "BC", "CA", "N", or None for totals / single values
    label: str  # Chinese, user-facing
    cumulative: bool = False  # a counter that only grows (energy registers): interval = difference
    base: str = ""  # name without the phase part ("u" for "ua"), used to resolve {"quantity": "u", "phase": "A"}


# dimension -> {unit spelling -> factor to the canonical unit}; the first key is the canonical unit.
UNITS: Final[MappingProxyType[str, MappingProxyType[str, float]]] = MappingProxyType(
    {
        dim: MappingProxyType(table)
        for dim, table in {
            "voltage": {"V": 1.0, "kV": 1000.0, "mV": 0.001},
            "current": {"A": 1.0, "mA": 0.001, "kA": 1000.0},
            "active_power": {"kW": 1.0, "W": 0.001, "MW": 1000.0},
            "reactive_power": {"kvar": 1.0, "var": 0.001, "Mvar": 1000.0},
            "apparent_power": {"kVA": 1.0, "VA": 0.001, "MVA": 1000.0},
            "active_energy": {"kWh": 1.0, "Wh": 0.001, "MWh": 1000.0},
            "reactive_energy": {"kvarh": 1.0, "varh": 0.001, "Mvarh": 1000.0},
            "power_factor": {"1": 1.0, "%": 0.01},
            "frequency": {"Hz": 1.0},
            "angle": {"deg": 1.0, "rad": 57.29577951308232},
            "duration": {"h": 1.0, "min": 1.0 / 60.0, "s": 1.0 / 3600.0},
            "state": {"code": 1.0},
        }.items()
    }
)

# Plausibility bounds per dimension in the canonical unit; a value outside is kept but flagged.
# Wide on purpose: they catch garbage (a current of 1e9 A), not unusual but real loads.
BOUNDS: Final[MappingProxyType[str, tuple[float, float]]] = MappingProxyType(
    {
        "voltage": (0.0, 500_000.0),
        "current": (-100_000.0, 100_000.0),
        "active_power": (-1_000_000.0, 1_000_000.0),
        "reactive_power": (-1_000_000.0, 1_000_000.0),
        "apparent_power": (0.0, 1_000_000.0),
        "active_energy": (0.0, 1e13),
        "reactive_energy": (0.0, 1e13),
        "power_factor": (-1.0, 1.0),
        "frequency": (0.0, 100.0),
        "angle": (-360.0, 360.0),
        "duration": (0.0, 24.0),
        "state": (0.0, 99.0),
    }
)


def _q(
    name: str, dimension: str, phase: str | None, label: str, *, cumulative: bool = False, base: str = ""
) -> Quantity:
    return Quantity(name, dimension, phase, label, cumulative, base or name)


# The names are the Reading model's vocabulary (monitoring.readings.models.QUANTITY_INFO); a unit test keeps
# the two lists identical. A single current or voltage measured on one CT/PT (HJ 212-2017 fan currents,
# i33103, i33200) is carried as phase A: see the profile assumptions.
_LIST: list[Quantity] = [
    _q("ua", "voltage", "A", "A相电压", base="u"),
    _q("ub", "voltage", "B", "B相电压", base="u"),
    _q("uc", "voltage", "C", "C相电压", base="u"),
    _q("uab", "voltage", "AB", "AB线电压", base="u"),
    _q("ubc", "voltage", "BC", "BC线电压", base="u"),
    _q("uca", "voltage", "CA", "CA线电压", base="u"),
    _q("ia", "current", "A", "A相电流", base="i"),
    _q("ib", "current", "B", "B相电流", base="i"),
    _q("ic", "current", "C", "C相电流", base="i"),
    _q("i0", "current", "N", "零序电流", base="i"),
    _q("pa", "active_power", "A", "A相有功功率", base="p"),
    _q("pb", "active_power", "B", "B相有功功率", base="p"),
    _q("pc", "active_power", "C", "C相有功功率", base="p"),
    _q("p", "active_power", None, "总有功功率"),
    _q("qa", "reactive_power", "A", "A相无功功率", base="q"),
    _q("qb", "reactive_power", "B", "B相无功功率", base="q"),
    _q("qc", "reactive_power", "C", "C相无功功率", base="q"),
    _q("q", "reactive_power", None, "总无功功率"),
    _q("s", "apparent_power", None, "总视在功率"),
    _q("pf", "power_factor", None, "总功率因数"),
    _q("pfa", "power_factor", "A", "A相功率因数", base="pf"),
    _q("pfb", "power_factor", "B", "B相功率因数", base="pf"),
    _q("pfc", "power_factor", "C", "C相功率因数", base="pf"),
    _q("freq", "frequency", None, "频率"),
    _q("ep_fwd", "active_energy", None, "正向有功电能", cumulative=True),
    _q("ep_rev", "active_energy", None, "反向有功电能", cumulative=True),
    _q("eq_fwd", "reactive_energy", None, "正向无功电能", cumulative=True),
    _q("eq_rev", "reactive_energy", None, "反向无功电能", cumulative=True),
    _q("energy_day", "active_energy", None, "日耗电量"),
    _q("demand", "active_power", None, "需量"),
    _q("run_state", "state", None, "运行状态"),
    _q("run_hours", "duration", None, "日运行时长"),
]
for _ph in ("A", "B", "C"):
    _LIST.append(_q(f"angle_u{_ph.lower()}", "angle", _ph, f"{_ph}相电压相角", base="angle_u"))
    _LIST.append(_q(f"angle_i{_ph.lower()}", "angle", _ph, f"{_ph}相电流相角", base="angle_i"))

QUANTITIES: Final[MappingProxyType[str, Quantity]] = MappingProxyType({q.name: q for q in _LIST})

# (base, phase) -> name, so a profile may write {"quantity": "u", "phase": "A"} instead of "ua".
_BY_BASE_PHASE: Final[dict[tuple[str, str | None], str]] = {(q.base, q.phase): q.name for q in _LIST}


def resolve(base: str, phase: str | None) -> str | None:
    """The canonical name for a base quantity and a phase, or None when there is none."""
    if phase is None and base in QUANTITIES:
        return base
    return _BY_BASE_PHASE.get((base, phase.upper() if phase else None))


def unit_scale(quantity: str, unit: str) -> float | None:
    """Factor from `unit` to the canonical unit of `quantity`, or None if the unit does not fit it."""
    q = QUANTITIES.get(quantity)
    if q is None:
        return None
    return UNITS[q.dimension].get(unit)


def canonical_unit(quantity: str) -> str:
    """The unit stored values of `quantity` are in."""
    return next(iter(UNITS[QUANTITIES[quantity].dimension]))
