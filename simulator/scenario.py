"""Scenario files (simulator/scenarios/*.json): what an enterprise's circuits and terminals do, and when.

More: docs/simulator.md, "Module notes".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
ROLES = ("production", "control", "main", "all")
WINDOWED = {
    "production_on",
    "production_off",
    "control_off",
    "control_idle",
    "curtailment",
    "power_loss",
    "site_blackout",
    "network_outage",
    "zero_current",
    "flatline",
    "voltage_deviation",
    "start_order",  # applies to the production starts and stops inside its window (always without one)
}
ALWAYS = {"ct_reversed", "clock_drift", "wrong_password", "unknown_terminal"}
_PARAMS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "control_idle": {"level": (int, float)},
    "start_order": {"lead_min": (int, float), "lag_min": (int, float)},
    "curtailment": {"level": str, "reduction": (int, float), "comply": bool},
    "ct_reversed": {"phases": str},
    "clock_drift": {"s_per_hour": (int, float), "accept_time_set": bool},
    "wrong_password": {"password": str},
    "voltage_deviation": {"factor": (int, float)},
}
_COMMON = {"type", "from_min", "to_min", "role", "select"}


class ScenarioError(ValueError):
    """A scenario file or name is invalid."""


@dataclass(frozen=True)
class Effect:
    """One behaviour of a scenario; `params` holds the type-specific values."""

    type: str
    role: str = "all"
    select: str = "all"
    from_min: float | None = None
    to_min: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def window(self, start: datetime) -> tuple[datetime, datetime]:
        """The absolute window (open ends become far past / far future)."""
        lo = start + timedelta(minutes=self.from_min) if self.from_min is not None else datetime(1970, 1, 1)
        hi = start + timedelta(minutes=self.to_min) if self.to_min is not None else datetime(2999, 1, 1)
        return lo, hi

    def active(self, start: datetime, t: datetime) -> bool:
        lo, hi = self.window(start)
        return lo <= t < hi


@dataclass(frozen=True)
class Expectation:
    """An alarm the platform should raise: rule key, on which role's point, in which window."""

    rule: str
    role: str
    from_min: float
    to_min: float | None
    select: str = "all"


@dataclass(frozen=True)
class Scenario:
    name: str
    title_zh: str
    description: str
    effects: tuple[Effect, ...]
    expect: tuple[Expectation, ...]
    _by_type: dict[str, tuple[Effect, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Looked up on every sample: index the effects by type once.
        for e in self.effects:
            self._by_type[e.type] = (*self._by_type.get(e.type, ()), e)

    def of_type(self, kind: str) -> tuple[Effect, ...]:
        return self._by_type.get(kind, ())


def _num(v: Any, what: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
        raise ScenarioError(f"{what} must be a non-negative number or null, got {v!r}")
    return float(v)


def _effect(raw: Any, where: str) -> Effect:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise ScenarioError(f"{where}: an effect must be an object with a string 'type'")
    kind = raw["type"]
    if kind not in WINDOWED | ALWAYS:
        raise ScenarioError(f"{where}: unknown effect type {kind!r}")
    spec = _PARAMS.get(kind, {})
    unknown = set(raw) - _COMMON - set(spec)
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)} for {kind}")
    params: dict[str, Any] = {}
    for key, typ in spec.items():
        if key not in raw:
            raise ScenarioError(f"{where}: {kind} needs {key!r}")
        val = raw[key]
        if not isinstance(val, typ) or (typ is not bool and isinstance(val, bool)):
            raise ScenarioError(f"{where}: {key} has the wrong type ({val!r})")
        params[key] = val
    role, select = raw.get("role", "all"), raw.get("select", "all")
    if role not in ROLES or select not in ("all", "first"):
        raise ScenarioError(f"{where}: role must be one of {ROLES}, select 'all' or 'first'")
    lo, hi = _num(raw.get("from_min"), f"{where}.from_min"), _num(raw.get("to_min"), f"{where}.to_min")
    if lo is not None and hi is not None and hi <= lo:
        raise ScenarioError(f"{where}: to_min must be after from_min")
    if kind == "ct_reversed" and (not params["phases"] or set(params["phases"]) - set("abc")):
        raise ScenarioError(f"{where}: phases must be letters from 'abc'")
    checks: dict[str, Callable[[dict[str, Any]], bool]] = {
        "control_idle": lambda p: 0 < p["level"] <= 1,
        "curtailment": lambda p: 0 <= p["reduction"] <= 1 and p["level"] in ("yellow", "orange", "red"),
        "voltage_deviation": lambda p: 0 < p["factor"] < 2,
        "wrong_password": lambda p: 0 < len(p["password"]) <= 24 and p["password"].isalnum(),
    }
    if kind in checks and not checks[kind](params):
        raise ScenarioError(f"{where}: {kind} has a value out of range: {params}")
    return Effect(kind, role, select, lo, hi, params)


def parse_scenario(data: Any, *, source: str = "<scenario>") -> Scenario:
    """Validate a decoded scenario document."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: must be a JSON object")
    for key in ("name", "title_zh", "description"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ScenarioError(f"{source}: {key!r} must be a non-empty string")
    raw_effects = data.get("effects", [])
    raw_expect = data.get("expect", [])
    if not isinstance(raw_effects, list) or not isinstance(raw_expect, list):
        raise ScenarioError(f"{source}: 'effects' and 'expect' must be lists")
    effects = tuple(_effect(e, f"{source}.effects[{i}]") for i, e in enumerate(raw_effects))
    expect = []
    for i, x in enumerate(raw_expect):
        if not isinstance(x, dict) or not isinstance(x.get("rule"), str) or x.get("role") not in ROLES:
            raise ScenarioError(f"{source}.expect[{i}]: needs a string 'rule' and a valid 'role'")
        lo = _num(x.get("from_min", 0), f"{source}.expect[{i}].from_min") or 0.0
        hi = _num(x.get("to_min"), f"{source}.expect[{i}].to_min")
        select = x.get("select", "all")
        if select not in ("all", "first"):
            raise ScenarioError(f"{source}.expect[{i}]: select must be 'all' or 'first'")
        expect.append(Expectation(x["rule"], x["role"], lo, hi, select))
    return Scenario(data["name"], data["title_zh"], data["description"], effects, tuple(expect))


def load_scenario(name_or_path: str) -> Scenario:
    """Load a bundled scenario by name, or any scenario file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ScenarioError(f"no scenario {name_or_path!r} (bundled: {', '.join(bundled_names())})") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: unreadable scenario file: {exc}") from exc
    return parse_scenario(data, source=path.name)


def bundled_names() -> list[str]:
    """Names of the scenario files shipped in simulator/scenarios/."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))
