"""A three-phase multifunction meter: from a circuit's truth to the quantities a terminal reports.

More: docs/simulator.md, "Module notes".
"""

from __future__ import annotations

import cmath
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from simulator import noise
from simulator.model import CircuitTruth

U_NOMINAL = 230.0  # phase voltage (400 V line), the terminals' supply range ≥ 450 VAC line
F_NOMINAL = 50.0
PHASES = "abc"
# Key names per phase, built once (this runs for every sample of every channel).
_KEYS = tuple((ph, f"U{ph}", f"I{ph}", f"P{ph}", f"Q{ph}", f"PF{ph}", f"UA{ph}", f"IA{ph}") for ph in PHASES)
_U_ANGLE = {"a": 0.0, "b": -120.0, "c": 120.0}
# Per phase: index, letter, the keys above, voltage angle, its reported value and its radians (all constant).
_PHASE_ROWS = tuple(
    (k, *keys, _U_ANGLE[keys[0]], _U_ANGLE[keys[0]] % 360.0, math.radians(_U_ANGLE[keys[0]]))
    for k, keys in enumerate(_KEYS)
)
DEMAND_MINUTES = 15
COUNTERS = ("EPf", "EPr", "EQf", "EQr")


@dataclass
class MeterFaults:
    """What is wrong with the meter's wiring or data at the moment (set per sample by the terminal)."""

    reversed_phases: str = ""
    zero_current: bool = False
    flatline: bool = False


@dataclass
class Meter:
    """One channel's meter: keeps the energy registers and demand windows between samples."""

    seed: int
    stream: int
    rated_kw: float
    imbalance: tuple[float, float, float] = (1.0, 1.0, 1.0)  # share of total power per phase (sums to 3)
    u_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)  # per-phase voltage offset, per unit
    energy: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0.0))
    _last_t: datetime | None = None
    _last_pq: tuple[float, float] = (0.0, 0.0)
    _frozen: dict[str, float] | None = None
    _minute_p: deque[float] = field(default_factory=lambda: deque(maxlen=DEMAND_MINUTES))
    _minute_i: deque[tuple[float, float, float]] = field(default_factory=lambda: deque(maxlen=DEMAND_MINUTES))
    _demand: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("DP", "DIa", "DIb", "DIc", "DPM"), 0.0))
    _demand_month: tuple[int, int] | None = None
    _minute_t0: datetime | None = None
    _minute_e0: float = 0.0
    _acc_i: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    _acc_n: int = 0

    def _integrate(self, t: datetime) -> None:
        # The registers integrate the power measured at the previous sample over the elapsed time
        # (the meter holds its last reading), so Avg P of a period equals ΔE / Δt exactly.
        if self._last_t is not None and t > self._last_t:
            hours = (t - self._last_t).total_seconds() / 3600.0
            p, q = self._last_pq
            self.energy["EPf" if p >= 0 else "EPr"] += abs(p) * hours
            self.energy["EQf" if q >= 0 else "EQr"] += abs(q) * hours
        self._last_t = t

    def pause(self, t: datetime) -> None:
        """The terminal lost power: integrate up to t, then measure nothing until the next sample."""
        self._integrate(t)
        self._last_pq = (0.0, 0.0)

    def sample(self, t: datetime, truth: CircuitTruth, faults: MeterFaults, freq: float) -> dict[str, float]:
        """Measure at t; returns base quantity code → value (see data/profiles/simulator_default.json)."""
        self._integrate(t)
        tick = noise.tick_of(t)
        cos_phi = truth.p_kw / math.hypot(truth.p_kw, truth.q_kvar) if truth.p_kw > 0 else 1.0
        phi = math.acos(max(-1.0, min(1.0, cos_phi)))
        deg_phi = math.degrees(phi)
        v: dict[str, float] = {}
        total_p = total_q = 0.0
        u_phasor: dict[str, complex] = {}
        supply, reversed_phases, zero_current = truth.supply, faults.reversed_phases, faults.zero_current
        seed, stream, u_offset, imbalance = self.seed, self.stream, self.u_offset, self.imbalance
        gauss, cos, sin, radians = noise.gauss, math.cos, math.sin, math.radians
        for k, ph, ku, ki, kp, kq, kpf, kua, kia, angle, angle_shown, angle_rad in _PHASE_ROWS:
            u = 0.0
            if supply:
                jitter = 0.002 * gauss(seed, stream + k, tick)
                u = U_NOMINAL * truth.u_factor * (1.0 + u_offset[k] + jitter)
            p_true = truth.p_kw * imbalance[k] / 3.0
            current = p_true * 1000.0 / (u * cos_phi) if u > 0 and p_true > 0 else 0.0
            if zero_current:
                current = 0.0
            i_angle = angle - deg_phi
            if ph in reversed_phases:
                i_angle += 180.0  # CT installed backwards: the meter sees the current turned round
            delta = radians(angle - i_angle)  # angle by which current lags voltage
            p = u * current * cos(delta) / 1000.0
            q = u * current * sin(delta) / 1000.0
            s = u * current / 1000.0
            v[ku], v[ki], v[kp], v[kq] = u, current, p, q
            v[kpf] = p / s if s > 0 else 1.0
            v[kua] = angle_shown if u > 0 else 0.0
            v[kia] = i_angle % 360.0 if current > 0 else 0.0
            u_phasor[ph] = cmath.rect(u, angle_rad)
            total_p, total_q = total_p + p, total_q + q
        v["Uab"] = abs(u_phasor["a"] - u_phasor["b"])
        v["Ubc"] = abs(u_phasor["b"] - u_phasor["c"])
        v["Uca"] = abs(u_phasor["c"] - u_phasor["a"])
        s_total = math.hypot(total_p, total_q)
        v["P"], v["Q"], v["S"] = total_p, total_q, s_total
        v["PF"] = total_p / s_total if s_total > 0 else 1.0
        v["F"] = freq if truth.supply else 0.0
        self._last_pq = (total_p, total_q)
        self._roll_demand(t, v)
        v.update(self.energy)
        v.update(self._demand)
        if faults.flatline and self._frozen is not None:
            return dict(self._frozen)  # a replaying device: identical values, counters standing still
        if not faults.flatline:
            self._frozen = dict(v)
        return v

    def _roll_demand(self, t: datetime, v: dict[str, float]) -> None:
        # Sliding-window demand: the mean of the last 15 one-minute means, refreshed at each minute
        # boundary. A minute's mean P comes from the energy registers (exact); mean currents from samples.
        if (t.year, t.month) != self._demand_month:
            self._demand_month = (t.year, t.month)
            self._demand["DPM"] = 0.0
        net = self.energy["EPf"] - self.energy["EPr"]
        if t.second == 0:
            if self._minute_t0 is not None and self._acc_n and t > self._minute_t0:
                hours = (t - self._minute_t0).total_seconds() / 3600.0
                self._minute_p.append((net - self._minute_e0) / hours)
                self._minute_i.append(
                    (self._acc_i[0] / self._acc_n, self._acc_i[1] / self._acc_n, self._acc_i[2] / self._acc_n)
                )
                n = len(self._minute_p)
                self._demand["DP"] = sum(self._minute_p) / n
                for k, ph in enumerate(PHASES):
                    self._demand[f"DI{ph}"] = sum(x[k] for x in self._minute_i) / n
                self._demand["DPM"] = max(self._demand["DPM"], self._demand["DP"])
            self._minute_t0, self._minute_e0 = t, net
            self._acc_i, self._acc_n = [0.0, 0.0, 0.0], 0
        self._acc_i[0] += v["Ia"]
        self._acc_i[1] += v["Ib"]
        self._acc_i[2] += v["Ic"]
        self._acc_n += 1
