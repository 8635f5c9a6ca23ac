"""Rule families 1-3 and the fault overrun: control equipment against the production it serves.

Every rule is conditioned on production running (a stopped line never raises these, the lesson of the
Zhuzhou false alarm in the research notes) and a minute where either side is UNKNOWN gives no verdict.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitoring.evaluation import episodes
from monitoring.evaluation.context import Context
from monitoring.evaluation.models import AssociationInfo, Finding, RunState
from monitoring.evaluation.running_state import minute_states
from monitoring.rules.rule_context import RuleContext

RUN, STOP, UNK = int(RunState.RUN), int(RunState.STOP), int(RunState.UNKNOWN)


def production_state(ctx: Context, assoc: AssociationInfo) -> bytearray:
    """Per minute: RUN if any production point runs, STOP if all are known stopped, else UNKNOWN."""
    key = f"production_state:{assoc.id}"
    hit = ctx.memo.get(key)
    if hit is not None:
        return bytearray(hit)
    out = bytearray(ctx.n)
    series = [ctx.states(p) for p in assoc.production]
    if not series:
        return out
    for m in range(ctx.n):
        vals = [s[m] for s in series]
        if RUN in vals:
            out[m] = RUN
        elif UNK not in vals:
            out[m] = STOP
    ctx.memo[key] = bytes(out)
    return out


def _params(ctx: Context, rule: str, assoc: AssociationInfo, point: str) -> dict[str, float]:
    return ctx.config.params(rule, enterprise=assoc.enterprise_id, association=assoc.id, point=point)


def control_stopped(ctx: Context) -> list[Finding]:
    """R1: a control point STOP while its production runs, for at least min_duration_min."""
    out: list[Finding] = []
    for assoc in ctx.topology.associations_of(ctx.enterprise.id):
        prod = production_state(ctx, assoc)
        for cp in assoc.control:
            prm = _params(ctx, "control_stopped", assoc, cp)
            cst = ctx.states(cp)
            cond = bytearray(ctx.n)
            for m in range(ctx.n):
                p, c = prod[m], cst[m]
                if p == RUN and c == STOP:
                    cond[m] = episodes.TRUE
                elif p == STOP or c == RUN:
                    cond[m] = episodes.FALSE
                else:
                    cond[m] = episodes.UNKNOWN
            used = ctx.apply_suppression(cond, [cp], "control_stopped")
            for run in ctx.runs(cond, prm["min_duration_min"]):
                ev: dict[str, Any] = {
                    "association": assoc.id,
                    "control_point": cp,
                    "production_points": list(assoc.production),
                }
                ev["thresholds"] = {"min_duration_min": prm["min_duration_min"], **_onoff(ctx, cp)}
                pts = [*assoc.production, cp]
                out.append(ctx.finding("control_stopped", f"{assoc.id}/{cp}", run, pts, ev, used))
    return out


def _onoff(ctx: Context, point_id: str) -> dict[str, float]:
    th = ctx.thresholds(point_id)
    return {"p_on_kw": round(th.p_on, 3), "p_off_kw": round(th.p_off, 3)}


def _local_hours(ctx: Context) -> list[int]:
    # China has used UTC+8 without daylight saving since 1991, so the local hour is a fixed offset.
    first = int(ctx.start.timestamp() // 60)
    return [((first + m) // 60 + 8) % 24 for m in range(ctx.n)]


def control_low_load(ctx: Context) -> list[Finding]:
    """R2: control RUN but below a share of its baseline (or of rated power) while production runs."""
    out: list[Finding] = []
    hours = _local_hours(ctx)
    for assoc in ctx.topology.associations_of(ctx.enterprise.id):
        prod = production_state(ctx, assoc)
        for cp in assoc.control:
            prm = _params(ctx, "control_low_load", assoc, cp)
            point = ctx.point(cp)
            base = ctx.baselines.get(cp) or {}
            rated_limit = prm["rated_share"] * point.rated_kw if point.rated_kw else None
            cst, power = ctx.states(cp), ctx.values(cp, "p")
            cond = bytearray(ctx.n)
            limits: dict[int, float] = {}
            for m, hour in enumerate(hours):
                p, c, v = prod[m], cst[m], power[m]
                limit = prm["baseline_share"] * base[hour] if hour in base else rated_limit
                if p == STOP or c == STOP:
                    cond[m] = episodes.FALSE
                elif p == RUN and c == RUN and v is not None and limit is not None:
                    if abs(v) < limit:  # |P|: a reversed CT is rule 7's business, not a low load
                        cond[m] = episodes.TRUE
                        limits[hour] = limit
                    else:
                        cond[m] = episodes.FALSE
                else:
                    cond[m] = episodes.UNKNOWN
            used = ctx.apply_suppression(cond, [cp], "control_low_load")
            for run in ctx.runs(cond, prm["min_duration_min"]):
                ev: dict[str, Any] = {"association": assoc.id, "control_point": cp}
                ev["thresholds"] = {
                    "min_duration_min": prm["min_duration_min"],
                    "baseline_share": prm["baseline_share"],
                    "rated_share": prm["rated_share"],
                    "limit_kw_by_local_hour": {str(h): round(v, 3) for h, v in sorted(limits.items())},
                    "baseline_source": "baseline" if base else "rated",
                }
                out.append(ctx.finding("control_low_load", f"{assoc.id}/{cp}", run, [*assoc.production, cp], ev, used))
    return out


def _transitions(state: bytearray, frm: int, to: int, max_gap: int) -> list[int]:
    """Minutes where the state becomes `to` after last being known as `frm` within max_gap minutes."""
    out: list[int] = []
    last_known, last_at = UNK, -(10**9)
    for m, v in enumerate(state):
        if v == UNK:
            continue
        if v == to and last_known == frm and m - last_at <= max_gap + 1:
            out.append(m)
        last_known, last_at = v, m
    return out


def _lead_in_states(ctx: Context, point_id: str, lead: int) -> bytearray:
    """The point's states for the `lead` minutes before the window, from the warm-up readings."""
    return minute_states(
        ctx.samples.get(point_id, ()), ctx.thresholds(point_id), ctx.start - timedelta(minutes=lead), lead
    )


def _production_lead_in(ctx: Context, assoc: AssociationInfo, lead: int) -> bytearray:
    """production_state for the `lead` minutes before the window."""
    series = [_lead_in_states(ctx, p, lead) for p in assoc.production]
    out = bytearray(lead)
    for m in range(lead if series else 0):
        vals = [s[m] for s in series]
        out[m] = RUN if RUN in vals else (STOP if UNK not in vals else UNK)
    return out


def start_stop_order(ctx: Context) -> list[Finding]:
    """R3: production started before its control equipment, or control stopped before production (+lag).

    Start: control must run from `start_lead_min` before production's start, `start_grace_min` allowed; if it
    starts later (while production still runs) that is `start_late`, with how late, however late: a start later
    than rule 1's duration raises control_stopped as well, and this alarm says what happened.
    Stop: control must run from `stop_grace_min` before production's stop until `stop_lag_min` after it, the
    grace allowed; a STOP in there is `stop_early`.

    A transition is point-in-time, and judging it needs minutes before it (the state it left, the stop's grace
    minutes, the start's lead). Those are read from the warm-up readings before the window, so a transition stays
    judged the same while the window's start slides over it: otherwise its alarm would be retracted as "never held".
    """
    out: list[Finding] = []
    max_gap = int(ctx.config.params("evaluation", enterprise=ctx.enterprise.id)["max_gap_min"])
    for assoc in ctx.topology.associations_of(ctx.enterprise.id):
        if not assoc.control:
            continue
        prms = {c: _params(ctx, "start_stop_order", assoc, c) for c in assoc.control}
        before = max(
            max(int(p["stop_grace_min"]), int(p["start_lead_min"]) - int(p["start_grace_min"])) for p in prms.values()
        )
        lead = max_gap + 1 + max(before, 0)  # the state a transition left, and the minutes judged before it
        prod_ext = _production_lead_in(ctx, assoc, lead) + production_state(ctx, assoc)
        starts = [j - lead for j in _transitions(prod_ext, STOP, RUN, max_gap) if j >= lead]
        stops = [j - lead for j in _transitions(prod_ext, RUN, STOP, max_gap) if j >= lead]
        for cp, prm in prms.items():
            cst_ext = _lead_in_states(ctx, cp, lead) + ctx.states(cp)
            mask, used = ctx.suppression_mask([cp], "start_stop_order")
            pts = [*assoc.production, cp]
            for m in starts:
                due = m - int(prm["start_lead_min"])
                k = due + int(prm["start_grace_min"])
                if k + lead < 0 or k >= ctx.n or cst_ext[k + lead] != STOP or mask[m]:
                    continue
                started = _control_start(cst_ext, prod_ext, k + 1 + lead, m + lead)
                if started is None:
                    continue
                started -= lead
                ev = _order_evidence(ctx, assoc, cp, "start_late", m, started, prm)
                ev["late_min"] = started - due
                run = episodes.Run(m, m + 1, False, m == 0, 1)
                out.append(ctx.finding("start_stop_order", f"{assoc.id}/{cp}", run, pts, ev, used))
            for m in stops:
                lo, hi = m - int(prm["stop_grace_min"]), m + int(prm["stop_lag_min"]) - int(prm["stop_grace_min"])
                if lo + lead < 0 or hi >= ctx.n or mask[m]:
                    continue
                window = cst_ext[lo + lead : hi + lead + 1]
                if UNK in window or STOP not in window:
                    continue
                first_stop = lo + window.index(STOP)
                ev = _order_evidence(ctx, assoc, cp, "stop_early", m, first_stop, prm)
                run = episodes.Run(m, m + 1, False, False, 1)
                out.append(ctx.finding("start_stop_order", f"{assoc.id}/{cp}", run, pts, ev, used))
    return out


def _control_start(cst: bytearray, prod: bytearray, frm: int, prod_start: int) -> int | None:
    """The minute from `frm` on where control starts, before production (started at `prod_start`) stops again;
    None when production stops first, a data gap hides when control started, or the window ends before it."""
    for j in range(frm, len(cst)):
        if cst[j] == RUN:
            return j
        if cst[j] == UNK or (j > prod_start and prod[j] == STOP):
            return None
    return None


def _order_evidence(
    ctx: Context, assoc: AssociationInfo, cp: str, kind: str, prod_m: int, ctrl_m: int, prm: dict[str, float]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "association": assoc.id,
        "control_point": cp,
        "production_transition_at": ctx.at(prod_m).isoformat(),
        "control_transition_at": ctx.at(ctrl_m).isoformat(),
        # negative: control changed before production did
        "control_after_production_min": ctrl_m - prod_m,
        "thresholds": dict(prm),
    }


def fault_overrun(ctx: RuleContext) -> list[Finding]:
    """Production running more than grace_hours into an unresolved control-equipment fault (第十三条(六))."""
    out: list[Finding] = []
    for assoc in ctx.topology.associations_of(ctx.enterprise.id):
        prod = None
        for fault in ctx.faults:
            ref, start, resolved = fault.ref, fault.start, fault.resolved_at
            hit = fault.point_ids & set(assoc.control)
            if not hit:
                continue
            prm = ctx.config.params("fault_overrun", enterprise=assoc.enterprise_id, association=assoc.id)
            prod = prod if prod is not None else production_state(ctx, assoc)
            from_m = ctx.index(start) + int(prm["grace_hours"] * 60)
            to_m = ctx.n if resolved is None else min(ctx.index(resolved), ctx.n)
            cond = bytearray(ctx.n)
            for m in range(max(from_m, 0), to_m):
                cond[m] = {RUN: episodes.TRUE, STOP: episodes.FALSE}.get(prod[m], episodes.UNKNOWN)
            for run in ctx.runs(cond, prm["min_duration_min"]):
                ev: dict[str, Any] = {
                    "fault_report": ref,
                    "fault_start": start.isoformat(),
                    "control_points": sorted(hit),
                }
                ev["thresholds"] = dict(prm)
                out.append(ctx.finding("fault_overrun", f"{assoc.id}/{ref}", run, list(assoc.production), ev))
    return out
