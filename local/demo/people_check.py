"""demo-check's judgement of the demo's people: every planned step that was due happened through the API, by the
planned account, with the planned content; the overrun alarms were escalated; the alert was published and ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from local.demo.people_plan import RESPONDS, WORKED, Behaviour, Path, PeoplePlan, branch_username
from monitoring.alarms.models import Alarm, AlarmState
from monitoring.errors import NotFoundError
from monitoring.storage.ports import Store

# Platform minutes a step may lag its planned time before it counts as missing: the people's pass interval and
# the API's answer at ×10 on a loaded machine.
SLACK = timedelta(minutes=10)
RESPONSE_LIMIT = timedelta(hours=2)
ESCALATE_EVERY = timedelta(minutes=5)  # the escalation job's period (local's escalate_every_s)
AFTER_RESPONSE = (AlarmState.RESPONDED, AlarmState.DISPATCHED, AlarmState.VERIFIED, AlarmState.CLOSED)
AFTER_DISPATCH = (AlarmState.DISPATCHED, AlarmState.VERIFIED, AlarmState.CLOSED)
VIA_API = "ip:"  # the audit source of a request through the API ("ip:127.0.0.1 via web"); the scheduler's differs


@dataclass(frozen=True)
class StepCheck:
    what: str  # the step in words (Chinese, for the summary)
    met: bool
    detail: str


def check_people(store: Store, plan: PeoplePlan, platform_now: datetime, *, emergency: str) -> list[StepCheck]:
    """A StepCheck for every planned step due (its time + SLACK) by `platform_now`; `emergency` is the user name
    of the 应急科 account that publishes the alert."""
    out = _check_alert(store, plan, platform_now, emergency)
    for b in plan.behaviours:
        for alarm in store.alarms.list(enterprise_id=b.enterprise_id, limit=500):
            if alarm.state is not AlarmState.RETRACTED:
                out += _check_alarm(store, b, alarm, platform_now)
    return out


def _check_alert(store: Store, plan: PeoplePlan, now: datetime, emergency: str) -> list[StepCheck]:
    a = plan.alert
    out = []
    if now >= a.publish_at + SLACK:
        try:
            alert = store.emergency.get_alert(a.alert_id)
        except NotFoundError:
            return [StepCheck(f"应急科发布{a.title}", False, "预警不存在")]
        account = store.accounts.find_by_username(emergency)
        by = account.display_name if account is not None else None
        ok = alert.level.value == a.level and alert.start == a.publish_at and alert.declared_by == by
        out.append(StepCheck(f"应急科发布{a.title}", ok, f"级别 {alert.level.value}，开始 {alert.start}"))
        if now >= a.end_at + SLACK:
            out.append(StepCheck("应急科解除预警", alert.end == a.end_at, f"结束 {alert.end}，计划 {a.end_at}"))
    return out


def _check_alarm(store: Store, b: Behaviour, alarm: Alarm, now: datetime) -> list[StepCheck]:
    label = f"{b.enterprise} {b.path.value} {alarm.rule} {alarm.subject}"
    audit = store.audit.for_alarm(alarm.id)
    by_api = {(e.action, e.actor) for e in audit if e.source.startswith(VIA_API)}
    out = []
    respond_at, dispatch_at = b.respond_at(alarm.created_at), b.dispatch_at(alarm.created_at)
    if b.path in RESPONDS and respond_at is not None and now >= respond_at + SLACK:
        r = alarm.response
        account = _account_id(store, b.username)
        ok = (
            r is not None
            and alarm.state in AFTER_RESPONSE
            and r.cause.value == b.cause
            and r.text == b.text
            and r.at <= alarm.created_at + RESPONSE_LIMIT
            and ("responded", account) in by_api
        )
        out.append(StepCheck(f"{label}: 企业按时响应（{b.cause}）", ok, _state(alarm)))
    if b.path is Path.OVERRUN:
        out.append(StepCheck(f"{label}: 企业未响应", alarm.response is None, _state(alarm)))
        escalate_by = alarm.created_at + RESPONSE_LIMIT + ESCALATE_EVERY + SLACK
        if now >= escalate_by:
            ok = alarm.escalated_at is not None and alarm.state in AFTER_DISPATCH and alarm.dispatched_to is not None
            out.append(StepCheck(f"{label}: 超时升级并派发", ok, _state(alarm)))
    if dispatch_at is not None and now >= dispatch_at + SLACK:
        branch = store.registry.get_enterprise(b.enterprise_id).branch_id
        ok = (
            alarm.state in AFTER_DISPATCH
            and alarm.dispatched_to == branch
            and ("dispatched", _account_id(store, branch_username(branch))) in by_api
        )
        out.append(StepCheck(f"{label}: 分局派发", ok, _state(alarm)))
    if b.path in WORKED and alarm.dispatched_at is not None and alarm.dispatched_to is not None:
        verify_at = alarm.dispatched_at + timedelta(minutes=b.verify_after_min)
        staff = _account_id(store, branch_username(alarm.dispatched_to))
        if now >= verify_at + SLACK:
            v = alarm.verification
            ok = v is not None and v.result == b.result and ("verified", staff) in by_api
            out.append(StepCheck(f"{label}: 分局核查", ok, _state(alarm)))
            verified = next((e.at for e in audit if e.action == "verified"), None)
            if verified is not None and now >= verified + timedelta(minutes=b.close_after_min) + SLACK:
                ok = alarm.state is AlarmState.CLOSED and ("closed", staff) in by_api
                out.append(StepCheck(f"{label}: 办结", ok, _state(alarm)))
    return out


def _account_id(store: Store, username: str) -> str:
    found = store.accounts.find_by_username(username)
    return found.id if found is not None else f"(no account {username})"


def _state(alarm: Alarm) -> str:
    r = alarm.response
    return (
        f"{alarm.id} [{alarm.state.value}]"
        + (f" 响应 {r.cause.value}" if r else "")
        + (f" 派发 {alarm.dispatched_to}" if alarm.dispatched_to else "")
    )


def people_summary(checks: list[StepCheck]) -> tuple[bool, list[str]]:
    """(all met, the summary's lines)."""
    met = [c for c in checks if c.met]
    lines = [f"演示人员的操作 (应已完成) {len(checks)} 项, 已完成 {len(met)} 项"]
    lines += [f"  {'✓' if c.met else '✗'} {c.what}" + ("" if c.met else f"  — {c.detail}") for c in checks]
    return len(met) == len(checks), lines
