"""Alarms: the list in deadline order, the detail page, and the workflow steps (respond, dispatch, verify, close,
reopen), each with the alarm's version."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.actors import actor
from miniprogram_api.chalicelib.framework import ALARM_ID, ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery, beijing_iso
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor
from miniprogram_api.chalicelib.routes.notify import NotificationOut
from monitoring.accounts.models import Role
from monitoring.alarms import service
from monitoring.alarms.detail import AlarmDetail, alarm_detail
from monitoring.alarms.listing import AlarmQuery, Overdue, deadlines, overdue_kinds
from monitoring.alarms.models import CAUSE_NAMES, STATE_NAMES, Alarm, AlarmState, Cause, Location
from monitoring.alarms.queries import list_alarms, narrow
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.evaluation.catalogue import RULES
from monitoring.evaluation.models import Severity
from monitoring.notify.models import Notification
from monitoring.notify.service import alarm_notifications
from monitoring.photos.models import check_photo_id
from monitoring.views.names import EnterpriseNames

routes = ApiBlueprint("alarms")

_LIST_KEY = re.compile(r"^[012]\d{17}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def _known_rule(value: str) -> str:
    if value not in RULES:
        raise ValueError(f"未知的报警规则：{value[:40]}")
    return value


RuleId = Annotated[str, Field(max_length=40), AfterValidator(_known_rule)]


def _no_parent(value: str) -> str:
    if ".." in value or "//" in value:
        raise ValueError("照片地址不能含 .. 或 //")
    return value


def _plausible(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("时间须在 2000 年至 2100 年之间")
    return value


# A time in a request: Beijing time with an offset, within the years a record can have (no overflow at the edges).
Moment = Annotated[BeijingTime, AfterValidator(_plausible)]
# A stored photo's key, as the photo routes hand it out (no "..", no leading slash).
PhotoRef = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$"), AfterValidator(_no_parent)]


# ---- request models --------------------------------------------------------------------------------------------
class AlarmsQuery(PageQuery):
    state: list[AlarmState] | None = Field(None, max_length=6, description="状态，可多选")
    rule: list[RuleId] | None = Field(None, max_length=30, description="规则，可多选")
    severity: list[Severity] | None = Field(None, max_length=3, description="级别，可多选")
    town_id: list[Id] | None = Field(None, max_length=50, description="镇/街道")
    branch_id: list[Id] | None = Field(None, max_length=20, description="执法分局")
    enterprise_id: list[Id] | None = Field(None, max_length=200, description="企业")
    overdue: Overdue | None = Field(None, description="超时：any 任一、response 响应超时、investigation 核查超时")
    created_from: Moment | None = Field(None, description="报警时间起（含）")
    created_to: Moment | None = Field(None, description="报警时间止（不含）")
    escalated: bool | None = Field(None, description="true：已升级至应急科的报警；false：未升级的")


class Versioned(ApiModel):
    version: int = Field(ge=1, le=10**9, description="报警的版本号（取自列表或详情）；已被他人修改则 409")


class LocationIn(ApiModel):
    lat: float = Field(ge=-90, le=90, description="纬度（WGS-84，wx.getLocation type=wgs84）")
    lon: float = Field(ge=-180, le=180, description="经度（WGS-84）")
    accuracy_m: float | None = Field(None, ge=0, le=100_000, description="定位精度（米）")

    def domain(self) -> Location:
        return Location(self.lat, self.lon, self.accuracy_m)


class LocationOut(ApiModel):
    lat: float
    lon: float
    accuracy_m: float | None


def _location_out(loc: Location | None) -> LocationOut | None:
    return None if loc is None else LocationOut(lat=loc.lat, lon=loc.lon, accuracy_m=loc.accuracy_m)


class RespondIn(Versioned):
    cause: Cause = Field(description="原因：计划检修、设备故障、停电、误报、其他")
    text: str = Field("", max_length=2000, description="说明")
    photos: list[PhotoRef] = Field(default_factory=list, max_length=9, description="照片（最多 9 张）")
    location: LocationIn | None = Field(None, description="响应时所在位置（手机定位，可不填）")


class DispatchIn(Versioned):
    branch_id: Id | None = Field(None, description="派发给的执法分局；不填为企业所属分局（分局只能派给本分局）")


class VerifyIn(Versioned):
    result: str = Field(min_length=1, max_length=2000, description="核查结果")
    photos: list[PhotoRef] = Field(default_factory=list, max_length=9)
    location: LocationIn | None = Field(None, description="核查时所在位置（手机定位，可不填）")


class CloseIn(Versioned):
    note: str = Field("", max_length=2000, description="办结意见")


class ReopenIn(Versioned):
    reason: str = Field(min_length=1, max_length=2000, description="重新办理的原因")
    branch_id: Id | None = Field(None, description="负责核查的执法分局；不填为原分局或企业所属分局")


# ---- response models -------------------------------------------------------------------------------------------
class AlarmOut(ApiModel):
    id: str
    rule: str
    rule_name: str
    enterprise_id: str
    enterprise_name: str
    severity: str
    state: AlarmState
    state_name: str
    active: bool = Field(description="条件是否仍在持续")
    data_start: BeijingTime = Field(description="条件开始（数据时间）")
    created_at: BeijingTime = Field(description="平台报警时间（时限从此起算）")
    updated_at: BeijingTime
    response_due: BeijingTime | None = Field(None, description="响应时限（未响应时）")
    investigation_due: BeijingTime | None = Field(None, description="核查时限（已派发时）")
    overdue: list[str] = Field(description="已超时的时限：response、investigation")
    dispatched_to: str | None = None
    point_ids: list[str]
    version: int

    @classmethod
    def of(cls, alarm: Alarm, enterprise_name: str, now: datetime) -> AlarmOut:
        due = deadlines(alarm)
        spec = RULES.get(alarm.rule)
        return cls(
            id=alarm.id,
            rule=alarm.rule,
            rule_name=spec.name if spec else alarm.rule,
            enterprise_id=alarm.enterprise_id,
            enterprise_name=enterprise_name,
            severity=alarm.severity,
            state=alarm.state,
            state_name=STATE_NAMES[alarm.state],
            active=alarm.active,
            data_start=alarm.data_start if alarm.episodes else alarm.created_at,
            created_at=alarm.created_at,
            updated_at=alarm.updated_at,
            response_due=due.get("response"),
            investigation_due=due.get("investigation"),
            overdue=overdue_kinds(alarm, now),
            dispatched_to=alarm.dispatched_to,
            point_ids=list(alarm.point_ids),
            version=alarm.version,
        )


class EpisodeOut(ApiModel):
    start: BeijingTime
    end: BeijingTime | None
    retracted: bool
    words: list[str] = Field(description="证据说明（中文）")
    thresholds: dict[str, Any] = Field(description="判定所用阈值")
    evidence: dict[str, Any] = Field(description="规则保存的证据原文（时间已换为北京时间）")
    quality: dict[str, Any]
    suppressions: list[str]


class ResponseOut(ApiModel):
    cause: Cause
    cause_name: str
    text: str
    photos: list[str]
    by: str
    at: BeijingTime
    late: bool = Field(description="是否超过 2 小时响应时限")
    location: LocationOut | None = None


class VerificationOut(ApiModel):
    result: str
    photos: list[str]
    by: str
    at: BeijingTime
    location: LocationOut | None = None


class ReminderOut(ApiModel):
    at: BeijingTime
    audience: str
    reason: str


class AuditOut(ApiModel):
    at: BeijingTime
    actor: str
    role: str
    source: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


class SeriesValue(ApiModel):
    t: BeijingTime
    p: float | None = Field(description="总有功功率 kW；null 为该分钟无数据")


class SeriesOut(ApiModel):
    point_id: str
    name: str
    side: str = Field(description="production 产污、control 治污、other 其他")
    values: list[SeriesValue]


class AlarmDetailOut(AlarmOut):
    episodes: list[EpisodeOut]
    quality_words: list[str]
    time_left_s: dict[str, int] = Field(description="各时限剩余秒数（负数为已超时）")
    response: ResponseOut | None
    verification: VerificationOut | None
    closed_at: BeijingTime | None
    close_note: str
    escalated_at: BeijingTime | None
    reminders: list[ReminderOut] = Field(description="已发送的提醒（通知）")
    photos: list[str] = Field(description="响应与核查的全部照片")
    series_start: BeijingTime
    series_end: BeijingTime
    series: list[SeriesOut]
    audit: list[AuditOut]
    notifications: list[NotificationOut] = Field(description="通知记录：通知了谁、何时、经何渠道、结果")
    town_name: str = Field("", description="企业所在镇（区）")
    branch_name: str = Field("", description="企业所属执法分局")
    dispatched_to_name: str | None = Field(None, description="派发至的执法分局名称")
    lines: list[str] = Field(default_factory=list, description="报警涉及的产治关系（生产线）名称")


def _beijing(value: Any) -> Any:
    """Evidence as stored, with every ISO time rewritten in Beijing time (+08:00)."""
    if isinstance(value, str) and _ISO.match(value):
        try:
            return beijing_iso(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, Mapping):
        return {str(k): _beijing(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_beijing(v) for v in value]
    return value


def _detail_out(d: AlarmDetail, now: datetime, told: list[Notification]) -> AlarmDetailOut:
    a = d.alarm
    base = AlarmOut.of(a, d.enterprise_name, now).model_dump()
    resp = a.response
    ver = a.verification
    return AlarmDetailOut(
        **base,
        episodes=[
            EpisodeOut(
                start=e.start,
                end=e.end,
                retracted=e.retracted,
                words=list(words),
                thresholds=dict(e.evidence.get("thresholds") or {}),
                evidence=_beijing(e.evidence),
                quality=_beijing(e.quality),
                suppressions=list(e.suppressions),
            )
            for e, words in zip(a.episodes, d.episode_words, strict=True)
        ],
        quality_words=list(d.quality_words),
        time_left_s={k: int((due - now).total_seconds()) for k, due in d.deadlines.items()},
        response=None
        if resp is None
        else ResponseOut(
            cause=resp.cause,
            cause_name=CAUSE_NAMES[resp.cause],
            text=resp.text,
            photos=list(resp.photos),
            by=resp.by,
            at=resp.at,
            late=resp.at > a.created_at + service.SlaPolicy().response,
            location=_location_out(resp.location),
        ),
        verification=None
        if ver is None
        else VerificationOut(
            result=ver.result, photos=list(ver.photos), by=ver.by, at=ver.at, location=_location_out(ver.location)
        ),
        closed_at=a.closed_at,
        close_note=a.close_note,
        escalated_at=a.escalated_at,
        reminders=[ReminderOut(at=r.at, audience=r.audience, reason=r.reason) for r in a.reminders],
        photos=[*(resp.photos if resp else ()), *(ver.photos if ver else ())],
        series_start=d.series_start,
        series_end=d.series_end,
        series=[
            SeriesOut(
                point_id=s.point_id,
                name=s.name,
                side=s.side,
                values=[SeriesValue(t=t, p=v) for t, v in s.values],
            )
            for s in d.series
        ],
        audit=[
            AuditOut(
                at=e.at,
                actor=e.actor,
                role=e.role,
                source=e.source,
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                detail=_beijing(e.detail),
            )
            for e in d.audit
        ],
        notifications=[NotificationOut.of(n) for n in told],
    )


# ---- helpers ---------------------------------------------------------------------------------------------------
def _visible_alarm(ctx: RequestContext, alarm_id: str) -> Alarm:
    """The alarm if it exists and its enterprise is in the caller's scope, or it was dispatched to the caller's
    branch (the bureau may send a case to another branch); 404 alike otherwise."""
    alarm = ctx.store.alarms.get(alarm_id)
    caller = ctx.caller
    if caller.role is Role.BRANCH and caller.branch_id is not None and alarm.dispatched_to == caller.branch_id:
        return alarm
    ctx.require_visible(alarm.enterprise_id, "报警不存在")
    return alarm


def _check_photos(ctx: RequestContext, alarm: Alarm, refs: list[str]) -> None:
    """Each cited photo exists and is the alarm's enterprise's, or the caller uploaded it for this alarm (a branch
    verifying a case sent from elsewhere); else 422 naming it."""
    for i, ref in enumerate(refs):
        try:
            photo = ctx.store.photos.get_photo(check_photo_id(ref))
        except (NotFoundError, InvalidInputError):
            photo = None
        mine = photo is not None and photo.uploaded_by == ctx.caller.id and photo.subject_id == alarm.id
        if photo is None or not (photo.enterprise_id == alarm.enterprise_id or mine):
            raise errors.invalid("照片不存在或不属于该报警的企业，请先上传", f"photos.{i}", "unknown_photo")


def _names(ctx: RequestContext, enterprise_ids: set[str]) -> dict[str, str]:
    cache: EnterpriseNames = ctx.services.extras.setdefault("enterprise_names", EnterpriseNames())
    return cache.names(ctx.store.registry.find_enterprise, enterprise_ids)


def _after(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    pos = decode_cursor(cursor, keys=("id", "k"))
    key, ident = pos["k"], pos["id"]
    if not (isinstance(key, str) and _LIST_KEY.match(key) and isinstance(ident, str) and ALARM_ID.match(ident)):
        raise errors.invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
    return (key, ident)


def _places(asked: list[str] | None, own: str | None) -> frozenset[str] | None:
    """The branches (or towns) a list names: those asked for, cut by the caller's own (a branch or town account);
    they let the store read the per-branch or per-town list index. The enterprise set stays the filter."""
    if own is None:
        return None if not asked else frozenset(asked)
    return frozenset({own}) if not asked else frozenset(asked) & {own}


def _branch_for(ctx: RequestContext, alarm: Alarm, requested: str | None) -> str:
    """The branch a dispatch or reopen names: the requested one (it must exist), else the alarm's or the
    enterprise's own; a branch account always its own."""
    if ctx.caller.role is Role.BRANCH and ctx.caller.branch_id is not None and requested is None:
        return ctx.caller.branch_id
    if requested is not None:
        if requested not in {b.branch_id for b in ctx.store.registry.list_branches(ctx.caller.county_id)}:
            raise errors.invalid("执法分局不存在", "branch_id")
        return requested
    if alarm.dispatched_to:
        return alarm.dispatched_to
    enterprise = ctx.store.registry.find_enterprise(alarm.enterprise_id)
    if enterprise is None:
        raise errors.invalid("企业未登记所属执法分局，请指定 branch_id", "branch_id")
    return enterprise.branch_id


def _answer(ctx: RequestContext, alarm: Alarm, **detail: Any) -> AlarmOut:
    ctx.audit("alarm", alarm.id, enterprise_id=alarm.enterprise_id, state=alarm.state.value, **detail)
    return AlarmOut.of(alarm, _names(ctx, {alarm.enterprise_id})[alarm.enterprise_id], ctx.now)


# ---- routes ----------------------------------------------------------------------------------------------------
@routes.route(
    "GET",
    "/alarms",
    action="alarms.read",
    summary="报警列表（按时限排序：超时最久的在前，其次待处理，最后已办结）",
    query=AlarmsQuery,
    response=Page[AlarmOut],
)
def list_(ctx: RequestContext, query: AlarmsQuery) -> Page[AlarmOut]:
    enterprises = narrow(
        ctx.store,
        ctx.caller.county_id,
        ctx.visible_enterprise_ids(),
        towns=query.town_id or (),
        branches=query.branch_id or (),
        enterprises=query.enterprise_id or (),
    )
    wanted = AlarmQuery(
        enterprise_ids=enterprises,
        county_id=ctx.caller.county_id,  # a county-wide scope is the caller's county, not every county
        branch_ids=_places(query.branch_id, ctx.caller.branch_id if ctx.caller.role is Role.BRANCH else None),
        town_ids=_places(query.town_id, ctx.caller.town_id if ctx.caller.role is Role.TOWN else None),
        states=None if query.state is None else frozenset(query.state),
        rules=None if query.rule is None else frozenset(query.rule),
        severities=None if query.severity is None else frozenset(s.value for s in query.severity),
        overdue=query.overdue,
        since=query.created_from,
        until=query.created_to,
        now=ctx.now,
        escalated=query.escalated,
    )
    also = None
    if ctx.caller.role is Role.BRANCH and ctx.caller.branch_id is not None:
        # Cases the bureau sent to this branch from another's area, under the same filters.
        filtered = narrow(
            ctx.store,
            ctx.caller.county_id,
            None,
            towns=query.town_id or (),
            branches=query.branch_id or (),
            enterprises=query.enterprise_id or (),
        )
        also = replace(
            wanted, enterprise_ids=filtered, dispatched_to=ctx.caller.branch_id, branch_ids=None, town_ids=None
        )
    page = list_alarms(ctx.store, wanted, after=_after(query.cursor), limit=query.limit, also=also)
    names = _names(ctx, {a.enterprise_id for a in page.alarms})
    cursor = None if page.next_after is None else encode_cursor({"k": page.next_after[0], "id": page.next_after[1]})
    return Page[AlarmOut](
        items=[AlarmOut.of(a, names[a.enterprise_id], ctx.now) for a in page.alarms], next_cursor=cursor
    )


@routes.route(
    "GET",
    "/alarms/{alarm_id}",
    action="alarms.read",
    summary="报警详情：证据说明、时限、产治用电曲线、处理记录",
    response=AlarmDetailOut,
)
def detail(ctx: RequestContext, alarm_id: str) -> AlarmDetailOut:
    _visible_alarm(ctx, alarm_id)
    own = ctx.caller.role in (Role.ENTERPRISE, Role.INSTALLER)
    told = alarm_notifications(ctx.store.outbox, alarm_id, enterprise_side=own)
    out = _detail_out(alarm_detail(ctx.store, alarm_id, ctx.now), ctx.now, told)
    return out.model_copy(update=_where(ctx, out))


def _where(ctx: RequestContext, out: AlarmDetailOut) -> dict[str, Any]:
    """Where the alarm is, in names: the enterprise's town and branch, the branch it went to, the lines it names."""
    registry = ctx.store.registry

    def named(get: Any, key: str | None) -> str:
        if not key:
            return ""
        try:
            return str(get(key).name)
        except NotFoundError:
            return ""

    enterprise = registry.find_enterprise(out.enterprise_id)
    wanted = {str(e.evidence.get("association")) for e in out.episodes if e.evidence.get("association")}
    associations = registry.list_associations(out.enterprise_id)
    lines = [a.name or a.association_id for a in associations if a.association_id in wanted]
    return {
        "town_name": named(registry.get_town, enterprise.town_id if enterprise else None),
        "branch_name": named(registry.get_branch, enterprise.branch_id if enterprise else None),
        "dispatched_to_name": named(registry.get_branch, out.dispatched_to) or None,
        "lines": lines,
    }


@routes.route(
    "POST",
    "/alarms/{alarm_id}/respond",
    action="alarms.respond",
    summary="企业响应：原因、说明、照片（2 小时内）",
    body=RespondIn,
    response=AlarmOut,
)
def respond(ctx: RequestContext, alarm_id: str, body: RespondIn) -> AlarmOut:
    alarm = _visible_alarm(ctx, alarm_id)
    _check_photos(ctx, alarm, body.photos)
    done = service.respond(
        ctx.store.alarms,
        ctx.store.audit,
        alarm_id,
        cause=body.cause,
        text=body.text,
        photos=body.photos,
        actor=actor(ctx, alarm.enterprise_id),
        now=ctx.now,
        version=body.version,
        location=body.location.domain() if body.location else None,
    )
    return _answer(ctx, done, cause=body.cause.value, photos=len(body.photos))


@routes.route(
    "POST",
    "/alarms/{alarm_id}/dispatch",
    action="alarms.dispatch",
    summary="派发执法分局核查（24 小时内核查）",
    body=DispatchIn,
    response=AlarmOut,
)
def dispatch(ctx: RequestContext, alarm_id: str, body: DispatchIn) -> AlarmOut:
    alarm = _visible_alarm(ctx, alarm_id)
    branch = _branch_for(ctx, alarm, body.branch_id)
    done = service.dispatch(
        ctx.store.alarms,
        ctx.store.audit,
        alarm_id,
        branch=branch,
        actor=actor(ctx, alarm.enterprise_id),
        now=ctx.now,
        version=body.version,
    )
    return _answer(ctx, done, branch=branch)


@routes.route(
    "POST",
    "/alarms/{alarm_id}/verify",
    action="alarms.verify",
    summary="执法分局录入核查结果",
    body=VerifyIn,
    response=AlarmOut,
)
def verify(ctx: RequestContext, alarm_id: str, body: VerifyIn) -> AlarmOut:
    alarm = _visible_alarm(ctx, alarm_id)
    _check_photos(ctx, alarm, body.photos)
    done = service.verify(
        ctx.store.alarms,
        ctx.store.audit,
        alarm_id,
        result=body.result,
        photos=body.photos,
        actor=actor(ctx, alarm.enterprise_id),
        now=ctx.now,
        version=body.version,
        location=body.location.domain() if body.location else None,
    )
    return _answer(ctx, done, photos=len(body.photos))


@routes.route(
    "POST", "/alarms/{alarm_id}/close", action="alarms.close", summary="办结", body=CloseIn, response=AlarmOut
)
def close(ctx: RequestContext, alarm_id: str, body: CloseIn) -> AlarmOut:
    alarm = _visible_alarm(ctx, alarm_id)
    done = service.close(
        ctx.store.alarms,
        ctx.store.audit,
        alarm_id,
        note=body.note,
        actor=actor(ctx, alarm.enterprise_id),
        now=ctx.now,
        version=body.version,
    )
    return _answer(ctx, done)


@routes.route(
    "POST",
    "/alarms/{alarm_id}/reopen",
    action="alarms.reopen",
    summary="重新办理已办结的报警（回到核查，重新计 24 小时）",
    body=ReopenIn,
    response=AlarmOut,
)
def reopen(ctx: RequestContext, alarm_id: str, body: ReopenIn) -> AlarmOut:
    alarm = _visible_alarm(ctx, alarm_id)
    branch = _branch_for(ctx, alarm, body.branch_id)
    done = service.reopen(
        ctx.store.alarms,
        ctx.store.audit,
        alarm_id,
        reason=body.reason,
        branch=branch,
        actor=actor(ctx, alarm.enterprise_id),
        now=ctx.now,
        version=body.version,
    )
    return _answer(ctx, done, branch=branch)
