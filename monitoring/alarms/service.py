"""The alarm workflow and its time limits (附件3 第十三条(六), 四(四)).

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from monitoring.alarms.models import (
    STATE_NAMES,
    SYSTEM,
    Actor,
    ActorRole,
    Alarm,
    AlarmState,
    AuditEntry,
    Cause,
    Reminder,
    Response,
    Verification,
)
from monitoring.alarms.ports import AlarmRepository, AuditLog
from monitoring.errors import ConflictError, InvalidInputError

MAX_TEXT = 2000
MAX_PHOTOS = 9


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Time limits of the notice (DESIGN.md §5) and how often to remind."""

    response: timedelta = timedelta(hours=2)  # 第十三条(六)
    investigation: timedelta = timedelta(hours=24)  # 四(四)
    reminder_every: timedelta = timedelta(hours=1)
    max_reminders: int = 24


def _audit(
    audit: AuditLog, alarm: Alarm, actor: Actor, now: datetime, action: str, to: AlarmState, detail: dict[str, Any]
) -> None:
    audit.append(
        AuditEntry(alarm.id, now, actor.id, actor.role.value, actor.source, action, alarm.state.value, to.value, detail)
    )


def _check_media(text: str, photos: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    if len(text) > MAX_TEXT:
        raise InvalidInputError(f"说明文字过长（最多{MAX_TEXT}字）")
    if len(photos) > MAX_PHOTOS or any(not p or len(p) > 500 for p in photos):
        raise InvalidInputError(f"照片最多{MAX_PHOTOS}张，且每张须为有效的存储地址")
    return text.strip(), tuple(photos)


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise ConflictError(message)


def _load(alarms: AlarmRepository, alarm_id: str, version: int | None) -> Alarm:
    """The alarm, when the caller's copy (`version`, None: no check) is still the stored one: a person acting on
    a stale page gets a conflict instead of overwriting someone else's step."""
    alarm = alarms.get(alarm_id)
    if version is not None and version != alarm.version:
        raise ConflictError(f"报警已被他人处理（当前版本{alarm.version}，提交的版本{version}），请刷新后重试")
    return alarm


def respond(
    alarms: AlarmRepository,
    audit: AuditLog,
    alarm_id: str,
    *,
    cause: Cause,
    text: str,
    photos: Sequence[str],
    actor: Actor,
    now: datetime,
    version: int | None = None,
) -> Alarm:
    """The enterprise (or its service provider) states the cause, with text and photos."""
    alarm = _load(alarms, alarm_id, version)
    if actor.role not in (ActorRole.ENTERPRISE, ActorRole.PROVIDER) or actor.enterprise_id != alarm.enterprise_id:
        raise ConflictError("只有报警所属企业或其运维单位可以响应")
    _require(
        alarm.response is None and alarm.state in (AlarmState.PENDING, AlarmState.DISPATCHED),
        f"报警当前状态不能响应：{STATE_NAMES[alarm.state]}",
    )
    text, pics = _check_media(text, photos)
    to = AlarmState.RESPONDED if alarm.state == AlarmState.PENDING else alarm.state
    late = now > alarm.created_at + SlaPolicy().response
    updated = replace(alarm, state=to, response=Response(cause, text, pics, actor.id, now), updated_at=now)
    stored = alarms.put(updated, expected_version=alarm.version)
    _audit(audit, alarm, actor, now, "responded", to, {"cause": cause.value, "late": late, "photos": len(pics)})
    return stored


def dispatch(
    alarms: AlarmRepository,
    audit: AuditLog,
    alarm_id: str,
    *,
    branch: str,
    actor: Actor,
    now: datetime,
    version: int | None = None,
) -> Alarm:
    """The bureau (or the escalation) hands the alarm to an enforcement branch for investigation; a branch may
    take an alarm on itself (dispatch to its own branch)."""
    alarm = _load(alarms, alarm_id, version)
    own = actor.role == ActorRole.BRANCH and actor.branch is not None and branch == actor.branch
    allowed = actor.role in (ActorRole.BUREAU, ActorRole.SYSTEM) or own
    _require(allowed, "只有生态环境局可以派发报警，执法分局只能派发给本分局")
    state = STATE_NAMES[alarm.state]
    _require(alarm.state in (AlarmState.PENDING, AlarmState.RESPONDED), f"报警当前状态不能派发：{state}")
    if not branch.strip():
        raise InvalidInputError("须指定执法分局")
    updated = replace(alarm, state=AlarmState.DISPATCHED, dispatched_to=branch, dispatched_at=now, updated_at=now)
    stored = alarms.put(updated, expected_version=alarm.version)
    _audit(audit, alarm, actor, now, "dispatched", AlarmState.DISPATCHED, {"branch": branch})
    return stored


def verify(
    alarms: AlarmRepository,
    audit: AuditLog,
    alarm_id: str,
    *,
    result: str,
    photos: Sequence[str],
    actor: Actor,
    now: datetime,
    version: int | None = None,
) -> Alarm:
    """The branch records its on-site investigation result."""
    alarm = _load(alarms, alarm_id, version)
    _require(actor.role == ActorRole.BRANCH, "只有执法分局可以录入核查结果")
    _require(actor.branch is None or actor.branch == alarm.dispatched_to, "该报警未派发给本分局")
    _require(alarm.state == AlarmState.DISPATCHED, f"报警当前状态不能核查：{STATE_NAMES[alarm.state]}")
    result, pics = _check_media(result, photos)
    if not result:
        raise InvalidInputError("须填写核查结果")
    updated = replace(
        alarm, state=AlarmState.VERIFIED, verification=Verification(result, pics, actor.id, now), updated_at=now
    )
    stored = alarms.put(updated, expected_version=alarm.version)
    late = alarm.dispatched_at is not None and now > alarm.dispatched_at + SlaPolicy().investigation
    _audit(audit, alarm, actor, now, "verified", AlarmState.VERIFIED, {"late": late, "photos": len(pics)})
    return stored


def close(
    alarms: AlarmRepository,
    audit: AuditLog,
    alarm_id: str,
    *,
    note: str,
    actor: Actor,
    now: datetime,
    version: int | None = None,
) -> Alarm:
    """办结: after verification, or directly after a response the bureau accepts."""
    alarm = _load(alarms, alarm_id, version)
    _require(actor.role in (ActorRole.BUREAU, ActorRole.BRANCH), "只有生态环境局或执法分局可以办结")
    allowed = (AlarmState.VERIFIED,) if actor.role == ActorRole.BRANCH else (AlarmState.VERIFIED, AlarmState.RESPONDED)
    _require(alarm.state in allowed, f"报警当前状态不能办结：{STATE_NAMES[alarm.state]}")
    note, _ = _check_media(note, ())
    updated = replace(alarm, state=AlarmState.CLOSED, closed_at=now, close_note=note, updated_at=now)
    stored = alarms.put(updated, expected_version=alarm.version)
    _audit(audit, alarm, actor, now, "closed", AlarmState.CLOSED, {"note": note})
    return stored


def reopen(
    alarms: AlarmRepository,
    audit: AuditLog,
    alarm_id: str,
    *,
    reason: str,
    branch: str,
    actor: Actor,
    now: datetime,
    version: int | None = None,
) -> Alarm:
    """重新办理: a closed alarm whose matter is not settled goes back to investigation (DISPATCHED) by `branch`,
    with a new 24 h limit; the enterprise's response is kept, the verification and closing are cleared (both
    stay in the audit trail). A retracted alarm (the condition never held) cannot be reopened, nor an alarm
    while a newer one of its subject and rule exists (the repository refuses a second open alarm)."""
    alarm = _load(alarms, alarm_id, version)
    _require(actor.role in (ActorRole.BUREAU, ActorRole.BRANCH), "只有生态环境局或执法分局可以重新办理报警")
    _require(actor.role != ActorRole.BRANCH or branch == actor.branch, "执法分局只能重新派发给本分局")
    _require(alarm.state == AlarmState.CLOSED, f"只有已办结的报警可以重新办理：{STATE_NAMES[alarm.state]}")
    reason, _ = _check_media(reason, ())
    if not reason:
        raise InvalidInputError("须填写重新办理的原因")
    if not branch.strip():
        raise InvalidInputError("须指定执法分局")
    updated = replace(
        alarm,
        state=AlarmState.DISPATCHED,
        dispatched_to=branch,
        dispatched_at=now,
        verification=None,
        closed_at=None,
        close_note="",
        updated_at=now,
    )
    stored = alarms.put(updated, expected_version=alarm.version)
    _audit(audit, alarm, actor, now, "reopened", AlarmState.DISPATCHED, {"reason": reason, "branch": branch})
    return stored


def overdue(alarm: Alarm, now: datetime, policy: SlaPolicy = SlaPolicy()) -> list[str]:
    """Which time limits the alarm has broken and still not met: response and/or investigation."""
    out: list[str] = []
    if not alarm.open:
        return out
    if alarm.response is None and now > alarm.created_at + policy.response:
        out.append("response")
    if (
        alarm.state == AlarmState.DISPATCHED
        and alarm.dispatched_at
        and now > alarm.dispatched_at + policy.investigation
    ):
        out.append("investigation")
    return out


def overdue_summary(
    alarms: Sequence[Alarm], now: datetime, branch_of: Callable[[str], str | None], policy: SlaPolicy = SlaPolicy()
) -> dict[str, dict[str, int]]:
    """Overdue counts by kind and by branch (for the dashboards' 超时 figures)."""
    kinds: Counter[str] = Counter()
    branches: Counter[str] = Counter()
    for a in alarms:
        for kind in overdue(a, now, policy):
            kinds[kind] += 1
            branches[a.dispatched_to or branch_of(a.enterprise_id) or "未分配"] += 1
    return {"by_kind": dict(kinds), "by_branch": dict(branches)}


def escalate(
    alarms: AlarmRepository,
    audit: AuditLog,
    now: datetime,
    branch_of: Callable[[str], str | None],
    policy: SlaPolicy = SlaPolicy(),
) -> list[Reminder]:
    """Escalate alarms past the response limit and repeat reminders; returns the reminders to send.

    Idempotent per call time: a reminder is due only `reminder_every` after the previous one, so running the
    escalation twice in the same minute sends nothing twice.
    """
    sent: list[Reminder] = []
    candidates = alarms.list(states=[AlarmState.PENDING, AlarmState.DISPATCHED], limit=100000)
    for alarm in candidates:
        late = overdue(alarm, now, policy)
        if not late:
            continue
        last = max((r.at for r in alarm.reminders), default=None)
        if last is not None and (now - last < policy.reminder_every or len(alarm.reminders) >= policy.max_reminders):
            continue
        new: list[Reminder] = []
        updated = alarm
        if "response" in late:
            new += [
                Reminder(now, "enterprise", "response_overdue"),
                Reminder(now, "emergency_section", "response_overdue"),
            ]
            if alarm.escalated_at is None:
                branch = branch_of(alarm.enterprise_id)
                updated = replace(updated, escalated_at=now)
                if alarm.state == AlarmState.PENDING and branch:
                    updated = replace(updated, state=AlarmState.DISPATCHED, dispatched_to=branch, dispatched_at=now)
                new.append(Reminder(now, "branch", "response_overdue"))
        if "investigation" in late:
            new += [
                Reminder(now, "branch", "investigation_overdue"),
                Reminder(now, "emergency_section", "investigation_overdue"),
            ]
        updated = replace(updated, reminders=alarm.reminders + tuple(new), updated_at=now)
        try:
            alarms.put(updated, expected_version=alarm.version)
        except ConflictError:
            continue  # changed concurrently (e.g. the enterprise just responded): next run re-checks
        action = "escalated" if updated.escalated_at == now else "reminded"
        _audit(
            audit,
            alarm,
            SYSTEM,
            now,
            action,
            updated.state,
            {"overdue": late, "audiences": sorted({r.audience for r in new}), "dispatched_to": updated.dispatched_to},
        )
        sent.extend(new)
    return sent
