"""Findings of one evaluation window → alarms: raise, extend, clear, re-open and retract, idempotently.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from monitoring.alarms.models import SYSTEM, Alarm, AlarmState, AuditEntry, Episode
from monitoring.alarms.ports import AlarmRepository, AuditLog
from monitoring.errors import NotFoundError
from monitoring.evaluation.catalogue import RULES
from monitoring.evaluation.models import Finding

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Window:
    """What every alarm of one reconciliation shares: whose, which window start, when, and where to write."""

    enterprise_id: str
    ws: datetime
    now: datetime
    alarms: AlarmRepository
    audit: AuditLog

    def record(self, alarm_id: str, action: str, was: str | None, to_state: str, detail: dict[str, object]) -> None:
        self.audit.append(
            AuditEntry(alarm_id, self.now, SYSTEM.id, SYSTEM.role.value, SYSTEM.source, action, was, to_state, detail)
        )


def _overlaps(e: Episode, f: Finding) -> bool:
    e_end = e.end or datetime.max.replace(tzinfo=e.start.tzinfo)
    f_end = f.end or datetime.max.replace(tzinfo=f.start.tzinfo)
    if f.start == f_end or e.start == e_end:  # point-in-time episodes match on their start
        return e.start == f.start
    return e.start < f_end and f.start < e_end


def _episode(f: Finding, start: datetime | None = None) -> Episode:
    refs = tuple(f.evidence.get("suppressions_nearby", ()))
    return Episode(start or f.start, f.end, f.evidence, f.quality, False, refs)


def _merge(
    episodes: Sequence[Episode], findings: Sequence[Finding], ws: datetime
) -> tuple[list[Episode], list[Finding], int]:
    """New episode list, unmatched findings, number of retractions."""
    out: list[Episode] = []
    pending = [f for f in findings]
    retracted = 0
    for e in episodes:
        if e.retracted:
            out.append(e)
            continue
        if e.start < ws:
            if e.end is not None and e.end < ws:
                out.append(e)
                continue
            cont = next((f for f in pending if f.truncated), None)
            if cont is not None:
                pending.remove(cont)
                out.append(replace(e, end=cont.end))
            else:
                out.append(e if e.end is not None else replace(e, end=ws))
            continue
        match = next((f for f in pending if not f.short and _overlaps(e, f)), None)
        if match is None:
            out.append(replace(e, retracted=True))
            retracted += 1
        else:
            pending.remove(match)
            same = match.start == e.start and match.end == e.end
            out.append(e if same else _episode(match))
    return out, [f for f in pending if not f.short], retracted


def reconcile(
    findings: Iterable[Finding],
    evaluated_rules: Iterable[str],
    enterprise_id: str,
    ws: datetime,
    now: datetime,
    alarms: AlarmRepository,
    audit: AuditLog,
    *,
    subjects: set[tuple[str, str]] | None = None,
) -> list[Alarm]:
    """Apply one window's findings for one enterprise; returns the alarms created or changed.

    Open alarms of `evaluated_rules` without findings in this window are reconciled with none (cleared or
    retracted). `subjects` narrows that to specific (subject, rule) keys (daily rules evaluate one day).
    """
    rules = set(evaluated_rules)
    by_key: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        by_key.setdefault((f.subject, f.rule), []).append(f)
    open_now = {(a.subject, a.rule): a for a in alarms.open_for_enterprise(enterprise_id)}
    for subject, rule in open_now:
        if rule in rules and (subjects is None or (subject, rule) in subjects):
            by_key.setdefault((subject, rule), [])
    w = _Window(enterprise_id, ws, now, alarms, audit)
    changed: list[Alarm] = []
    for (subject, rule), fs in sorted(by_key.items()):
        fs.sort(key=lambda f: f.start)
        alarm = _latest(alarms, open_now.get((subject, rule)), subject, rule)
        result = _apply_one(w, alarm, subject, rule, fs)
        if result is not None:
            changed.append(result)
    return changed


def _latest(alarms: AlarmRepository, listed_open: Alarm | None, subject: str, rule: str) -> Alarm | None:
    """The newest alarm of (subject, rule). One the enterprise's open list named is read again by id (on DynamoDB
    the list is an index, possibly a moment behind): still open, it is the newest, since the store lets only the
    newest be open, and the pointer read is saved; otherwise the pointer says which is."""
    if listed_open is not None:
        try:
            fresh = alarms.get(listed_open.id)
        except NotFoundError:
            fresh = None
        if fresh is not None and fresh.open:
            return fresh
    return alarms.latest(subject, rule)


def _apply_one(w: _Window, alarm: Alarm | None, subject: str, rule: str, fs: list[Finding]) -> Alarm | None:
    if alarm is not None and not alarm.open:
        # Already closed: its episodes are history, but one still running when it was closed keeps being
        # followed until it ends (so the alarm shows its duration) and is never raised again.
        return _after_closed(w, alarm, subject, rule, fs)
    if alarm is None:
        return _create(w, subject, rule, [f for f in fs if not f.short])
    now = w.now
    episodes, fresh, retracted = _merge(alarm.episodes, fs, w.ws)
    episodes.extend(_episode(f) for f in fresh)
    episodes.sort(key=lambda e: e.start)
    if tuple(episodes) == alarm.episodes:
        return None
    was_active = alarm.active
    updated = replace(alarm, episodes=tuple(episodes), updated_at=now)
    actions: list[tuple[str, AlarmState | None, dict[str, object]]] = []
    if fresh:
        actions.append(("episode_added", None, {"starts": [f.start.isoformat() for f in fresh]}))
    if retracted:
        actions.append(("episode_retracted", None, {"count": retracted}))
    if not updated.live_episodes and alarm.state == AlarmState.PENDING and alarm.response is None:
        updated = replace(updated, state=AlarmState.RETRACTED, closed_at=now)
        actions.append(("retracted", AlarmState.RETRACTED, {"reason": "late data: condition did not hold"}))
    elif was_active and not updated.active:
        cleared = updated.cleared_at
        dur = None if cleared is None else (cleared - updated.data_start).total_seconds()
        actions.append(("cleared", None, {"cleared_at": cleared.isoformat() if cleared else None, "duration_s": dur}))
    elif not was_active and updated.active:
        actions.append(("reactivated", None, {}))
    stored = w.alarms.put(updated, expected_version=alarm.version)
    for action, to_state, detail in actions or [("episodes_updated", None, {})]:
        w.record(alarm.id, action, alarm.state.value, (to_state or alarm.state).value, detail)
    return stored


def _after_closed(w: _Window, alarm: Alarm, subject: str, rule: str, fs: list[Finding]) -> Alarm | None:
    ws, now = w.ws, w.now
    running = next((e for e in alarm.live_episodes if e.end is None), None)
    if running is not None:
        carried = running.start < ws
        cont = next((f for f in fs if (f.truncated if carried else _overlaps(running, f))), None)
        if cont is not None:
            fs.remove(cont)
        end = cont.end if cont is not None else max(ws, running.start)
        if end is not None:
            episodes = tuple(replace(e, end=end) if e is running else e for e in alarm.episodes)
            alarm = w.alarms.put(replace(alarm, episodes=episodes, updated_at=now), expected_version=alarm.version)
            w.record(alarm.id, "cleared", alarm.state.value, alarm.state.value, {"cleared_at": end.isoformat()})
        else:
            return None  # still running: nothing new can start while it does
    fresh = [f for f in fs if not f.short and not any(_overlaps(e, f) or f.start <= e.start for e in alarm.episodes)]
    created = _create(w, subject, rule, fresh)
    return created or (alarm if running is not None else None)


def alarm_id(rule: str, subject: str, start: datetime) -> str:
    """Deterministic id: the same episode raised twice (restart, duplicate tick) collides instead of doubling."""
    return f"{rule}|{subject}|{start.strftime('%Y%m%dT%H%MZ')}"


def _create(w: _Window, subject: str, rule: str, fs: list[Finding]) -> Alarm | None:
    if not fs:
        return None
    first = fs[0]
    spec = RULES[rule]
    severity = max((f.severity for f in fs if f.severity), default=None) or spec.severity.value
    points = tuple(dict.fromkeys(p for f in fs for p in f.point_ids))
    alarm = Alarm(
        id=alarm_id(rule, subject, first.start),
        rule=rule,
        subject=subject,
        enterprise_id=w.enterprise_id,
        severity=severity,
        state=AlarmState.PENDING,
        episodes=tuple(_episode(f) for f in fs),
        created_at=w.now,
        updated_at=w.now,
        point_ids=points,
    )
    stored = w.alarms.put(alarm, expected_version=None)
    w.record(alarm.id, "raised", None, AlarmState.PENDING.value, {"rule": rule, "data_start": first.start.isoformat()})
    log.info("alarm raised", extra={"alarm": alarm.id, "rule": rule, "subject": subject})
    return stored
