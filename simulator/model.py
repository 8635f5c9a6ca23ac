"""The site's true electrical behaviour: per circuit, active and reactive power and whether it has supply.

More: docs/simulator.md, "Module notes".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator import noise
from simulator.scenario import Effect, Scenario
from simulator.schedule import Interval, ProductionSchedule, since_in, widen
from simulator.spec import EnterpriseSpec, PointSpec


@dataclass(frozen=True, slots=True)
class CircuitTruth:
    """What flows in one circuit at an instant."""

    p_kw: float
    q_kvar: float
    supply: bool  # the circuit's voltage is present
    u_factor: float  # supply voltage relative to nominal


def motor_pf(pf_nom: float, load: float) -> float:
    """Induction-motor power factor falling at light load: pf(1) = pf_nom, pf(0.2) ≈ 0.77·pf_nom."""
    if load <= 0:
        return 1.0
    return max(0.05, min(0.99, pf_nom * 1.08 * load / (load + 0.08)))


def _ramp(since: datetime | None, t: datetime, ramp_min: float) -> float:
    if since is None:
        return 0.0
    if ramp_min <= 0:
        return 1.0
    return min(1.0, max(0.0, (t - since).total_seconds() / 60.0 / ramp_min))


_HOUR = timedelta(hours=1)


class SiteModel:
    """The truth for every circuit of one enterprise, as a pure function of time."""

    def __init__(self, spec: EnterpriseSpec, scenario: Scenario, start: datetime, seed: int) -> None:
        self.spec = spec
        self.scenario = scenario
        self.start = start
        self.seed = seed
        windows = {k: [e.window(start) for e in scenario.of_type(k)] for k in ("production_on", "production_off")}
        forced_on: list[Interval] = list(windows["production_on"])
        for e in scenario.of_type("curtailment"):
            if not e.params["comply"]:
                forced_on.append(e.window(start))  # defies the order: keeps producing through it
        self.schedule = ProductionSchedule(spec.shift, tuple(forced_on), tuple(windows["production_off"]))
        self.lead, self.lag = spec.lead_min, spec.lag_min
        self._streams = {p.id: noise.stream_id(f"{spec.id}/{p.id}") for p in spec.points}
        self._cache: dict[datetime, dict[str, CircuitTruth]] = {}
        self._freq: dict[datetime, float] = {}
        self._iv_key: tuple[datetime, int] | None = None
        self._iv: list[Interval] = []
        self._ctl: list[Interval] = []

    def _targets(self, effect: Effect, point: PointSpec) -> bool:
        return point in self.spec.points_of(effect.role, effect.select)

    def _active(self, kind: str, point: PointSpec, t: datetime) -> Effect | None:
        for e in self.scenario.of_type(kind):
            if e.active(self.start, t) and self._targets(e, point):
                return e
        return None

    def _windows(self, t: datetime) -> tuple[list[Interval], list[Interval]]:
        """(production intervals, control intervals widened by lead/lag) around t, recomputed once an hour."""
        if self._iv_key is not None and self._iv_key[0] <= t < self._iv_key[0] + _HOUR:
            return self._iv, self._ctl  # the same hour as last time (asked for every circuit and sample)
        key = (t.replace(minute=0, second=0, microsecond=0), 0)
        if key != self._iv_key:
            self._iv_key = key
            self._iv = widen(self.schedule.intervals_around(t))
            self._ctl = widen([c for s, e in self._iv for c in widen([(s, e)], self._lead_at(s), self._lag_at(e))])
        return self._iv, self._ctl

    def _lead_at(self, t: datetime) -> float:
        """Control's lead before a production start at t: a start_order effect's while it is active, else the
        enterprise's own (outside its window a scenario's enterprise behaves)."""
        for e in self.scenario.of_type("start_order"):
            if e.active(self.start, t):
                return float(e.params["lead_min"])
        return self.lead

    def _lag_at(self, t: datetime) -> float:
        """Control's lag after a production stop at t, likewise."""
        for e in self.scenario.of_type("start_order"):
            if e.active(self.start, t):
                return float(e.params["lag_min"])
        return self.lag

    def supply(self, point: PointSpec, t: datetime) -> bool:
        """Whether the circuit has voltage (power loss and blackouts remove it)."""
        if any(e.active(self.start, t) for e in self.scenario.of_type("site_blackout")):
            return False
        return self._active("power_loss", point, t) is None

    def u_factor(self, t: datetime) -> float:
        """Site supply voltage relative to nominal: a slow daily swing, plus scenario deviations."""
        hour = t.hour + t.minute / 60.0
        u = 1.0 + 0.012 * math.sin(2 * math.pi * (hour - 4.0) / 24.0)
        for e in self.scenario.of_type("voltage_deviation"):
            if e.active(self.start, t):
                u *= float(e.params["factor"])
        return u

    def _load(self, point: PointSpec, t: datetime, tick: int) -> float:
        """Fraction of rated power drawn by a production or control circuit."""
        prod, ctl = self._windows(t)
        stream = self._streams[point.id]
        if point.role == "production":
            since = since_in(prod, t)
            if since is None:
                return 0.0
            drift = 1.0 + 0.08 * math.sin(2 * math.pi * (t.hour * 60 + t.minute) / 173.0 + stream % 7)
            load = point.level * drift * _ramp(since, t, point.ramp_min)
            for e in self.scenario.of_type("curtailment"):
                if e.params["comply"] and e.active(self.start, t):
                    load *= 1.0 - float(e.params["reduction"])
            return max(0.0, load * (1.0 + 0.03 * noise.gauss(self.seed, stream, tick)))
        since = since_in(ctl, t)
        if since is None or self._active("control_off", point, t) is not None:
            return 0.0
        load = point.level * (0.85 + 0.15 * bool(since_in(prod, t))) * _ramp(since, t, point.ramp_min)
        idle = self._active("control_idle", point, t)
        if idle is not None:
            load = min(load, point.level * float(idle.params["level"]))
        return max(0.0, load * (1.0 + 0.015 * noise.gauss(self.seed, stream, tick)))

    def evaluate(self, t: datetime) -> dict[str, CircuitTruth]:
        """Every circuit's truth at t (cached: terminals of one site sample the same instants)."""
        hit = self._cache.get(t)
        if hit is not None:
            return hit
        tick = noise.tick_of(t)
        u = self.u_factor(t)
        out: dict[str, CircuitTruth] = {}
        sum_p = sum_q = prod_p = 0.0
        for p in self.spec.points:
            if p.role == "main":
                continue
            ok = self.supply(p, t)
            load = self._load(p, t, tick) if ok else 0.0
            kw = p.rated_kw * load
            q = kw * math.tan(math.acos(motor_pf(p.pf_nom, load))) if kw > 0 else 0.0
            out[p.id] = CircuitTruth(kw, q, ok, u if ok else 0.0)
            sum_p, sum_q = sum_p + kw, sum_q + q
            prod_p += kw if p.role == "production" else 0.0
        for p in self.spec.points_of("main"):
            ok = self.supply(p, t)
            day = 1.0 if 7 <= t.hour < 19 else 0.5
            base = p.rated_kw * 0.03 * day * (1.0 + 0.05 * noise.gauss(self.seed, self._streams[p.id], tick))
            kw = (sum_p + 0.3 * prod_p + base) if ok else 0.0
            q = (sum_q + 0.3 * prod_p * 0.62 + base * 0.33) if ok else 0.0
            out[p.id] = CircuitTruth(kw, q, ok, u if ok else 0.0)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[t] = out
        return out

    def frequency(self, t: datetime) -> float:
        """Grid frequency: 50 Hz with a slow wander and jitter (the same for every circuit of the site)."""
        hit = self._freq.get(t)
        if hit is None:
            if len(self._freq) > 256:
                self._freq.clear()
            tick = noise.tick_of(t)
            hit = self._freq[t] = 50.0 + 0.02 * math.sin(tick / 900.0) + 0.004 * noise.gauss(self.seed, 7, tick)
        return hit

    def production_on(self, t: datetime) -> bool:
        """Whether the production schedule runs at t (for tests and the manifest)."""
        return since_in(self._windows(t)[0], t) is not None

    def horizon(self, minutes: float) -> datetime:
        return self.start + timedelta(minutes=minutes)
