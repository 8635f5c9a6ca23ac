"""The evaluation context of one enterprise over one window: per-minute states and values, built lazily.

Every evaluator reads from this object only, so a rule is a pure function of (parameters, readings and
events, suppression windows, baselines, window). Minute index m stands for [start + m, start + m + 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitoring.evaluation import episodes
from monitoring.evaluation.config import RuleConfig
from monitoring.evaluation.models import EnterpriseInfo, Finding, PointInfo, Sample, TerminalEvent, Topology
from monitoring.evaluation.running_state import Thresholds, minute_index, minute_states, minute_values, thresholds_for

MINUTE = timedelta(minutes=1)
EVIDENCE_READINGS = 6  # readings quoted per point around an episode's start


@dataclass(frozen=True, slots=True)
class PhaseStats:
    """Per minute: voltage min/max and count of phases with a value; current min/max/sum and count."""

    vmin: list[float]
    vmax: list[float]
    vcnt: list[int]
    amin: list[float]
    amax: list[float]
    asum: list[float]
    acnt: list[int]


_EMPTY = (0.0, 0.0, 0, 0.0, 0.0, 0.0, 0)


def _summary(s: Sample) -> tuple[float, float, int, float, float, float, int]:
    if s.flag != "N":
        return _EMPTY
    ua, ub, uc, ia, ib, ic = s.ua, s.ub, s.uc, s.ia, s.ib, s.ic
    if ua is not None and ub is not None and uc is not None and ia is not None and ib is not None and ic is not None:
        # the common case: a three-phase meter reporting everything
        return (min(ua, ub, uc), max(ua, ub, uc), 3, min(ia, ib, ic), max(ia, ib, ic), ia + ib + ic, 3)
    v = [x for x in (ua, ub, uc) if x is not None]
    a = [x for x in (ia, ib, ic) if x is not None]
    return (
        min(v) if v else 0.0,
        max(v) if v else 0.0,
        len(v),
        min(a) if a else 0.0,
        max(a) if a else 0.0,
        sum(a),
        len(a),
    )


def phase_stats(samples: Sequence[Sample], index: list[int]) -> PhaseStats:
    """Summaries per minute; only the samples that cover a minute of the window are summarised."""
    used = sorted({i for i in index if i >= 0})
    rows = {i: _summary(samples[i]) for i in used}
    per_minute = [rows[i] if i >= 0 else _EMPTY for i in index]
    cols = list(zip(*per_minute, strict=True)) if per_minute else [()] * 7
    return PhaseStats(*(list(c) for c in cols))


@dataclass(frozen=True, slots=True)
class Suppression:
    """A window in which some rules are muted for some points (approved stoppage, reported fault)."""

    ref: str  # e.g. "stoppage:<id>" or "fault:<id>"
    point_ids: frozenset[str]
    rules: frozenset[str]
    start: datetime
    end: datetime | None  # None: open-ended (fault not yet resolved)
    label: str = ""


@dataclass
class Context:
    enterprise: EnterpriseInfo
    topology: Topology
    config: RuleConfig
    start: datetime
    n: int
    now: datetime
    samples: Mapping[str, Sequence[Sample]]
    events: Sequence[TerminalEvent] = ()
    suppressions: Sequence[Suppression] = ()
    baselines: Mapping[str, Mapping[int, float]] = field(default_factory=dict)  # point -> local hour -> kW
    _states: dict[str, bytearray] = field(default_factory=dict)
    _values: dict[tuple[str, str], list[float | None]] = field(default_factory=dict)
    _th: dict[str, Thresholds] = field(default_factory=dict)
    _index: dict[str, list[int]] = field(default_factory=dict)
    _ts: dict[str, list[float]] = field(default_factory=dict)
    _phases: dict[str, PhaseStats] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # per-context results shared between rules

    # --- time ---------------------------------------------------------------------------------------
    def at(self, m: int) -> datetime:
        return self.start + m * MINUTE

    def index(self, t: datetime) -> int:
        return int((t - self.start) // MINUTE)

    # --- points -------------------------------------------------------------------------------------
    def point(self, point_id: str) -> PointInfo:
        return self.topology.points[point_id]

    def thresholds(self, point_id: str) -> Thresholds:
        th = self._th.get(point_id)
        if th is None:
            p = self.point(point_id)
            params = self.config.params("running_state", enterprise=p.enterprise_id, point=p.id)
            th = self._th[point_id] = thresholds_for(p, params)
        return th

    def stamps(self, point_id: str) -> list[float]:
        """Epoch seconds of the point's samples (computed once per context)."""
        ts = self._ts.get(point_id)
        if ts is None:
            ts = self._ts[point_id] = [s.at.timestamp() for s in self.samples.get(point_id, ())]
        return ts

    def cover(self, point_id: str) -> list[int]:
        """Per minute, the index of the point's sample covering it (-1: none)."""
        idx = self._index.get(point_id)
        if idx is None:
            cov = self.thresholds(point_id).coverage
            samples = self.samples.get(point_id, ())
            idx = self._index[point_id] = minute_index(samples, cov, self.start, self.n, self.stamps(point_id))
        return idx

    def states(self, point_id: str) -> bytearray:
        st = self._states.get(point_id)
        if st is None:
            samples = self.samples.get(point_id, ())
            th = self.thresholds(point_id)
            st = minute_states(samples, th, self.start, self.n, self.cover(point_id), self.stamps(point_id))
            self._states[point_id] = st
        return st

    def values(self, point_id: str, attr: str) -> list[float | None]:
        key = (point_id, attr)
        v = self._values.get(key)
        if v is None:
            cov = self.thresholds(point_id).coverage
            samples = self.samples.get(point_id, ())
            v = minute_values(samples, attr, cov, self.start, self.n, self.cover(point_id))
            self._values[key] = v
        return v

    def phases(self, point_id: str) -> PhaseStats:
        """Per-minute phase voltage and current summaries (shared by the circuit, power-loss, tamper rules)."""
        ph = self._phases.get(point_id)
        if ph is None:
            ph = self._phases[point_id] = phase_stats(self.samples.get(point_id, ()), self.cover(point_id))
        return ph

    # --- suppression --------------------------------------------------------------------------------
    def suppression_mask(self, point_ids: Iterable[str], rule: str) -> tuple[bytearray, list[Suppression]]:
        """Minutes where `rule` is muted for any of the points, and the suppressions involved."""
        mask = bytearray(self.n)
        used: list[Suppression] = []
        ids = set(point_ids)
        for s in self.suppressions:
            if rule not in s.rules or not (ids & s.point_ids):
                continue
            lo = max(self.index(s.start), 0)
            hi = self.n if s.end is None else min(-((self.start - s.end) // MINUTE), self.n)
            if lo < hi:
                mask[lo:hi] = b"\x01" * (hi - lo)
                used.append(s)
        return mask, used

    def apply_suppression(self, cond: bytearray, point_ids: Iterable[str], rule: str) -> list[Suppression]:
        mask, used = self.suppression_mask(point_ids, rule)
        if used:
            for m in range(self.n):
                if mask[m] and cond[m] == episodes.TRUE:
                    cond[m] = episodes.SUPPRESSED
        return used

    # --- evidence -----------------------------------------------------------------------------------
    def readings_near(self, point_id: str, t: datetime) -> list[dict[str, Any]]:
        """A few readings of the point from just before t onwards: what triggered the episode."""
        out: list[dict[str, Any]] = []
        for s in self.samples.get(point_id, ()):
            if s.at >= t - 2 * MINUTE:
                out.append(s.explain())
                if len(out) >= EVIDENCE_READINGS:
                    break
        return out

    def quality(self, point_ids: Iterable[str], lo: int, hi: int) -> dict[str, Any]:
        """Data quality over minutes [lo, hi): share of minutes with a known state, samples, bad flags."""
        hi = max(hi, lo + 1)
        out: dict[str, Any] = {}
        t0, t1 = self.at(lo), self.at(hi)
        for pid in point_ids:
            st = self.states(pid)[lo:hi]
            known = sum(1 for x in st if x)
            in_range = [s for s in self.samples.get(pid, ()) if t0 <= s.at < t1]
            out[pid] = {
                "known_share": round(known / max(len(st), 1), 3),
                "samples": len(in_range),
                "bad_flags": sum(1 for s in in_range if not s.good),
            }
        return out

    def finding(
        self,
        rule: str,
        subject: str,
        run: episodes.Run,
        point_ids: Sequence[str],
        evidence: dict[str, Any],
        suppressed_by: Sequence[Suppression] = (),
        severity: str | None = None,
    ) -> Finding:
        """A Finding from a run, quoting readings and data quality of the points involved."""
        start = self.at(run.start)
        ev = dict(evidence)
        ev["readings"] = {pid: self.readings_near(pid, start) for pid in point_ids}
        # Show the stoppages / faults that touch this episode (adjacent within a minute or overlapping).
        lo, hi = start - MINUTE, (self.at(run.end) if not run.ongoing else self.at(self.n)) + MINUTE
        touching = [s.ref for s in suppressed_by if s.start <= hi and (s.end is None or s.end >= lo)]
        if touching:
            ev["suppressions_nearby"] = touching
        return Finding(
            rule=rule,
            subject=subject,
            enterprise_id=self.enterprise.id,
            start=start,
            end=None if run.ongoing else self.at(run.end),
            evidence=ev,
            quality=self.quality(point_ids, run.start, run.end),
            point_ids=tuple(point_ids),
            severity=severity,
            truncated=run.touches_start,
            short=run.short,
        )

    def runs(self, cond: bytearray, min_len: float) -> list[episodes.Run]:
        max_gap = int(self.config.params("evaluation", enterprise=self.enterprise.id)["max_gap_min"])
        return episodes.qualifying(episodes.find_runs(cond, max_gap), int(min_len))
