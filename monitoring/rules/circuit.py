"""Rule family 8: circuit safety per point: over/under voltage, phase loss, current imbalance, over-current.

Diagnostic rules (low severity by default): they tell the bureau and the service provider that a circuit or
its metering is unhealthy, which also matters because a meter on a faulty circuit is weak evidence.
"""

from __future__ import annotations

from collections.abc import Callable

from monitoring.evaluation import episodes
from monitoring.evaluation.context import Context, PhaseStats
from monitoring.evaluation.models import Finding, PointInfo

T, F, U = episodes.TRUE, episodes.FALSE, episodes.UNKNOWN
Condition = Callable[[PointInfo, dict[str, float], PhaseStats], bytearray]


def _rule(ctx: Context, rule: str, condition: Condition) -> list[Finding]:
    out: list[Finding] = []
    for p in ctx.topology.points_of(ctx.enterprise.id):
        if p.id not in ctx.samples:
            continue
        prm = ctx.config.params(rule, enterprise=ctx.enterprise.id, point=p.id)
        cond = condition(p, prm, ctx.phases(p.id))
        if T not in cond:
            continue
        used = ctx.apply_suppression(cond, [p.id], rule)
        for run in ctx.runs(cond, prm["min_duration_min"]):
            ev = {"point": p.id, "nominal_v": p.nominal_v, "rated_a": p.rated_a, "thresholds": dict(prm)}
            out.append(ctx.finding(rule, f"point:{p.id}", run, [p.id], ev, used))
    return out


def over_voltage(ctx: Context) -> list[Finding]:
    def cond(p: PointInfo, prm: dict[str, float], ph: PhaseStats) -> bytearray:
        lim = prm["share"] * p.nominal_v
        return bytearray(U if c == 0 else (T if hi > lim else F) for hi, c in zip(ph.vmax, ph.vcnt, strict=True))

    return _rule(ctx, "circuit_over_voltage", cond)


def under_voltage(ctx: Context) -> list[Finding]:
    """Voltage present on all three phases (not a power or phase loss) but one below share of nominal."""

    def cond(p: PointInfo, prm: dict[str, float], ph: PhaseStats) -> bytearray:
        present, lim = prm["presence_share"] * p.nominal_v, prm["share"] * p.nominal_v
        return bytearray(
            U if c == 0 else (F if c < 3 or lo < present else (T if lo < lim else F))
            for lo, c in zip(ph.vmin, ph.vcnt, strict=True)
        )

    return _rule(ctx, "circuit_under_voltage", cond)


def phase_loss(ctx: Context) -> list[Finding]:
    """One or two phases near zero while at least one other phase is healthy."""

    def cond(p: PointInfo, prm: dict[str, float], ph: PhaseStats) -> bytearray:
        lost, healthy = prm["lost_share"] * p.nominal_v, prm["others_share"] * p.nominal_v
        return bytearray(
            U if c < 3 else (T if lo < lost and hi >= healthy else F)
            for lo, hi, c in zip(ph.vmin, ph.vmax, ph.vcnt, strict=True)
        )

    return _rule(ctx, "circuit_phase_loss", cond)


def current_imbalance(ctx: Context) -> list[Finding]:
    """(max - min) / mean of the phase currents above max_imbalance, once loaded above min_load_share."""

    def cond(p: PointInfo, prm: dict[str, float], ph: PhaseStats) -> bytearray:
        floor, limit = prm["min_load_share"] * (p.rated_a or 0.0), prm["max_imbalance"]
        out = bytearray(len(ph.acnt))
        for m, (lo, hi, total, c) in enumerate(zip(ph.amin, ph.amax, ph.asum, ph.acnt, strict=True)):
            mean = total / 3
            out[m] = U if c < 3 else (F if mean <= 0 or mean < floor else (T if (hi - lo) / mean > limit else F))
        return out

    return _rule(ctx, "circuit_current_imbalance", cond)


def over_current(ctx: Context) -> list[Finding]:
    def cond(p: PointInfo, prm: dict[str, float], ph: PhaseStats) -> bytearray:
        if not p.rated_a:
            return bytearray([U]) * len(ph.acnt)
        lim = prm["share"] * p.rated_a
        return bytearray(U if c == 0 else (T if hi > lim else F) for hi, c in zip(ph.amax, ph.acnt, strict=True))

    return _rule(ctx, "circuit_over_current", cond)
