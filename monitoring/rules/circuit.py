"""Rule family 8: circuit safety per point: over/under voltage, phase loss, current imbalance, over-current.

Diagnostic rules (low severity by default): they tell the bureau and the service provider that a circuit or
its metering is unhealthy, which also matters because a meter on a faulty circuit is weak evidence.
"""

from __future__ import annotations

from collections.abc import Callable

from monitoring.rules import episodes
from monitoring.rules.context import Context
from monitoring.rules.models import Finding, PointInfo

Verdict = Callable[[list[float], list[float]], int]


def _per_minute(ctx: Context, point: PointInfo, verdict: Verdict) -> bytearray:
    volts = [ctx.values(point.id, a) for a in ("ua", "ub", "uc")]
    amps = [ctx.values(point.id, a) for a in ("ia", "ib", "ic")]
    out = bytearray(ctx.n)
    for m in range(ctx.n):
        v = [x for x in (ph[m] for ph in volts) if x is not None]
        a = [x for x in (ph[m] for ph in amps) if x is not None]
        out[m] = verdict(v, a)
    return out


def _rule(ctx: Context, rule: str, make: Callable[[PointInfo, dict[str, float]], Verdict]) -> list[Finding]:
    out: list[Finding] = []
    for p in ctx.topology.points_of(ctx.enterprise.id):
        prm = ctx.config.params(rule, enterprise=ctx.enterprise.id, point=p.id)
        cond = _per_minute(ctx, p, make(p, prm))
        used = ctx.apply_suppression(cond, [p.id], rule)
        for run in ctx.runs(cond, prm["min_duration_min"]):
            ev = {"point": p.id, "nominal_v": p.nominal_v, "rated_a": p.rated_a, "thresholds": dict(prm)}
            out.append(ctx.finding(rule, f"point:{p.id}", run, [p.id], ev, used))
    return out


def _tri(ok: bool | None) -> int:
    return episodes.UNKNOWN if ok is None else (episodes.TRUE if ok else episodes.FALSE)


def over_voltage(ctx: Context) -> list[Finding]:
    def make(p: PointInfo, prm: dict[str, float]) -> Verdict:
        return lambda v, a: _tri(None if not v else max(v) > prm["share"] * p.nominal_v)

    return _rule(ctx, "circuit_over_voltage", make)


def under_voltage(ctx: Context) -> list[Finding]:
    """Voltage present (not a power loss) but below share of nominal on some phase."""

    def make(p: PointInfo, prm: dict[str, float]) -> Verdict:
        def verdict(v: list[float], a: list[float]) -> int:
            present = [x for x in v if x >= prm["presence_share"] * p.nominal_v]
            if len(present) < 3:
                return episodes.UNKNOWN if not v else episodes.FALSE
            return _tri(min(present) < prm["share"] * p.nominal_v)

        return verdict

    return _rule(ctx, "circuit_under_voltage", make)


def phase_loss(ctx: Context) -> list[Finding]:
    """One or two phases near zero while at least one other phase is healthy."""

    def make(p: PointInfo, prm: dict[str, float]) -> Verdict:
        def verdict(v: list[float], a: list[float]) -> int:
            if len(v) < 3:
                return episodes.UNKNOWN
            lost = [x for x in v if x < prm["lost_share"] * p.nominal_v]
            healthy = [x for x in v if x >= prm["others_share"] * p.nominal_v]
            return _tri(bool(lost) and bool(healthy))

        return verdict

    return _rule(ctx, "circuit_phase_loss", make)


def current_imbalance(ctx: Context) -> list[Finding]:
    """(max - min) / mean of the phase currents above max_imbalance, once loaded above min_load_share."""

    def make(p: PointInfo, prm: dict[str, float]) -> Verdict:
        floor = prm["min_load_share"] * (p.rated_a or 0.0)

        def verdict(v: list[float], a: list[float]) -> int:
            if len(a) < 3:
                return episodes.UNKNOWN
            mean = sum(a) / 3
            if mean <= 0 or mean < floor:
                return episodes.FALSE
            return _tri((max(a) - min(a)) / mean > prm["max_imbalance"])

        return verdict

    return _rule(ctx, "circuit_current_imbalance", make)


def over_current(ctx: Context) -> list[Finding]:
    def make(p: PointInfo, prm: dict[str, float]) -> Verdict:
        rated = p.rated_a
        return lambda v, a: _tri(None if not a or not rated else max(a) > prm["share"] * rated)

    return _rule(ctx, "circuit_over_current", make)
