"""Enterprises (list, 一企一档, edits), readings (latest, series, daily energy, status timeline), the dashboard's
counts and the audit log query: thin routes over `monitoring.views` (docs/api.md, docs/monitoring.md §9).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from miniprogram_api.chalicelib.errors import invalid
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import CURSOR_PATTERN, ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor
from monitoring.errors import InvalidInputError
from monitoring.evaluation.config import RuleConfig, load_defaults
from monitoring.readings.models import QUANTITY_INFO, Reading, ReadingKind
from monitoring.registry.models import (
    Contact,
    ContactRole,
    EnterpriseCategory,
    ExemptionReason,
    InstallStatus,
)
from monitoring.views import audit_log as audit_view
from monitoring.views import dashboard, energy, enterprise_edit, enterprises, series, timeline
from monitoring.views import status as status_view
from monitoring.views.series_cache import SeriesCache

routes = ApiBlueprint("registry")
StatusCode = Literal["producing", "stopped", "curtailed", "unknown"]
CategoryCode = Literal["air_control", "permit"]
InstallCode = Literal["pending_survey", "surveyed", "installed", "networked", "trial_run", "accepted", "filed"]
ExemptionCode = Literal["long_term_shutdown", "to_be_closed", "unsafe"]
ContactRoleCode = Literal["legal_representative", "environment_manager", "electrician", "operator", "other"]
STATE_NAMES = status_view.STATUS_NAMES  # the enterprise now: 生产 / 停产 / 限产 / 无数据
ENTERPRISE_STATE_NAMES = {**status_view.STATUS_NAMES, timeline.NO_DATA: "无数据"}
LINE_STATE_NAMES = {timeline.RUNNING: "运行", timeline.STOPPED: "停运", timeline.NO_DATA: "无数据"}
QuantityName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,15}$")]  # one of QUANTITIES


# ---- models ----------------------------------------------------------------------------------------------------------
class EnterpriseListQuery(PageQuery):
    q: str = Field("", max_length=50, description="名称、统一社会信用代码或排污许可证编号中的片段")
    town_id: Id | None = None
    branch_id: Id | None = None
    category: CategoryCode | None = None
    install_status: InstallCode | None = None
    status: StatusCode | None = Field(None, description="当前运行状态")
    exempt: bool | None = None


class EnterpriseItem(ApiModel):
    enterprise_id: str
    name: str
    credit_code: str
    town_id: str
    town_name: str
    branch_id: str
    branch_name: str
    category: CategoryCode
    category_name: str
    install_status: InstallCode
    install_status_name: str
    exempt: bool
    status: StatusCode
    status_name: str
    status_at: BeijingTime | None = Field(None, description="规则引擎判断状态的时刻")
    list_year: int | None = None
    list_seq: int | None = None
    version: int


class ContactBody(ApiModel):
    name: str = Field(min_length=1, max_length=50)
    role: ContactRoleCode
    phone: str = Field("", max_length=20)


class ContactItem(ContactBody):
    role_name: str


class ExemptionItem(ApiModel):
    reason: ExemptionCode
    reason_name: str
    approved_by: str
    approved_at: BeijingTime
    note: str


class FacilityItem(ApiModel):
    facility_id: str
    code: str
    name: str
    kind: str
    kind_name: str
    process: str
    rated_power_kw: float | None
    rated_current_a: float | None


class PointItem(ApiModel):
    point_id: str
    facility_id: str
    point_code: str
    name: str
    role: str
    role_name: str
    mn: str | None
    channel: str
    ct_ratio: float
    pt_ratio: float
    status: str
    status_name: str


class FacilityRef(ApiModel):
    facility_id: str
    code: str
    name: str


class LineItem(ApiModel):
    association_id: str
    name: str
    control: FacilityRef | None
    production: list[FacilityRef]
    production_on_kw: float | None
    control_on_kw: float | None
    low_load_ratio: float
    start_lead_s: int | None
    stop_lag_s: int | None
    confirm_s: int


class GpsItem(ApiModel):
    lat: float
    lon: float
    at: BeijingTime


class TerminalItem(ApiModel):
    mn: str
    model: str
    firmware: str
    profile: str
    online: bool = Field(description="在线：已连接且 15 分钟内收到过数据")
    last_frame_at: BeijingTime | None
    clock_skew_s: float | None
    gps: GpsItem | None
    minute_interval_min: int | None
    realtime_interval_s: int | None


class InstallerItem(ApiModel):
    account_id: str
    display_name: str
    phone: str


class EnterpriseDetail(EnterpriseItem):
    permit_no: str
    industry: str
    performance_grade: str
    contacts: list[ContactItem]
    exemption: ExemptionItem | None
    facilities: list[FacilityItem]
    points: list[PointItem]
    lines: list[LineItem]
    terminals: list[TerminalItem]
    installers: list[InstallerItem] = Field(description="负责安装/运维的账号")


class EnterprisePatch(ApiModel):
    """Fields left out stay as they are; `version` is the one the editor saw (409 when someone saved since)."""

    version: int = Field(ge=1)
    name: str | None = Field(None, min_length=1, max_length=200)
    credit_code: str | None = Field(None, max_length=18)
    permit_no: str | None = Field(None, max_length=40)
    industry: str | None = Field(None, max_length=100)
    performance_grade: str | None = Field(None, max_length=20)
    category: CategoryCode | None = None
    town_id: Id | None = None
    branch_id: Id | None = None
    contacts: list[ContactBody] | None = Field(None, max_length=enterprise_edit.MAX_CONTACTS)
    install_status: InstallCode | None = None
    install_reason: str = Field("", max_length=200, description="安装状态回退时必填")
    exemption_reason: ExemptionCode | None = Field(None, description="设置豁免（审批人为当前用户）")
    exemption_note: str = Field("", max_length=200)
    revoke_exemption: bool = False


class ContactsPut(ApiModel):
    """The enterprise's whole contact list, replacing the stored one; `version` as in the edit."""

    version: int = Field(ge=1)
    contacts: list[ContactBody] = Field(max_length=enterprise_edit.MAX_CONTACTS)


class QuantityInfo(ApiModel):
    unit: str
    name: str


class ReadingItem(ApiModel):
    kind: Literal["realtime", "minute", "hour", "day"]
    data_time: BeijingTime
    received_at: BeijingTime | None
    values: dict[str, float]
    flags: dict[str, str] = Field(description="非 N 的数据标记（该值存疑）")


class LatestOut(ApiModel):
    point_id: str
    enterprise_id: str
    readings: list[ReadingItem]
    quantities: dict[str, QuantityInfo]


class SeriesQuery(ApiModel):
    start: BeijingTime
    end: BeijingTime
    quantity: list[QuantityName] = Field(default_factory=lambda: ["p"], max_length=series.MAX_QUANTITIES)


class SeriesRowItem(ApiModel):
    at: BeijingTime
    values: dict[str, float] = Field(description="分钟数据为原值；小时桶为平均值")
    min: dict[str, float] | None = None
    max: dict[str, float] | None = None
    samples: int
    energy_kwh: float | None = None
    flags: dict[str, str] | None = None


class Span(ApiModel):
    start: BeijingTime
    end: BeijingTime


class SeriesOut(ApiModel):
    point_id: str
    start: BeijingTime
    end: BeijingTime
    resolution: Literal["minute", "hour"] = Field(description="24 小时以内为分钟数据，更长为小时汇总")
    quantities: dict[str, QuantityInfo]
    rows: list[SeriesRowItem]
    gaps: list[Span] = Field(description="无数据的时段")


class EnergyQuery(ApiModel):
    days: int = Field(30, ge=1, le=energy.MAX_DAYS)


class DayEnergyItem(ApiModel):
    day: date
    production_kwh: float | None
    control_kwh: float | None
    main_kwh: float | None
    complete: bool
    partial_day: bool


class EnergyOut(ApiModel):
    enterprise_id: str
    days: list[DayEnergyItem]


class TimelineQuery(ApiModel):
    day: date | None = Field(None, description="北京时间日期，缺省为今天")


class SegmentItem(ApiModel):
    start: BeijingTime
    end: BeijingTime
    state: str
    state_name: str


class LineTimelineItem(ApiModel):
    association_id: str
    name: str
    production: list[SegmentItem]
    control: list[SegmentItem]


class TimelineOut(ApiModel):
    enterprise_id: str
    day: date
    start: BeijingTime
    end: BeijingTime
    enterprise: list[SegmentItem]
    lines: list[LineTimelineItem]


class CountsItem(ApiModel):
    enterprises: int
    exempt: int
    terminals_online: int
    terminals_offline: int
    producing: int
    stopped: int
    curtailed: int
    unknown: int
    open_alarms: int
    overdue_alarms: int
    open_by_rule: dict[str, int]
    overdue_by_rule: dict[str, int]


class AreaItem(ApiModel):
    id: str
    name: str
    counts: CountsItem


class SummaryOut(ApiModel):
    at: BeijingTime
    total: CountsItem
    towns: list[AreaItem]
    branches: list[AreaItem]


class AuditQuery(ApiModel):
    since: BeijingTime | None = Field(None, description="缺省为结束时间前 7 天")
    until: BeijingTime | None = Field(None, description="缺省为现在")
    actor_id: Id | None = None
    object_type: str | None = Field(None, pattern=r"^[a-z][a-z_]{0,31}$", description="如 enterprise、alarm、account")
    object_id: Id | None = None
    enterprise_id: Id | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN)


class AuditItem(ApiModel):
    record_id: str
    at: BeijingTime
    actor_id: str
    actor_name: str
    actor_role: str
    source_ip: str
    channel: str
    action: str
    object_type: str
    object_id: str
    enterprise_id: str | None
    detail: dict[str, Any]


class AlarmAuditItem(ApiModel):
    at: BeijingTime
    actor: str
    role: str
    source: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


class AuditPageOut(ApiModel):
    items: list[AuditItem]
    next_cursor: str | None = None
    since: BeijingTime
    until: BeijingTime
    alarm_entries: list[AlarmAuditItem] | None = Field(None, description="按单条报警查询时：该报警自身的流转记录")


# ---- serialisers -----------------------------------------------------------------------------------------------------
def _item(row: enterprises.EnterpriseRow) -> dict[str, Any]:
    e = row.enterprise
    return {
        "enterprise_id": e.enterprise_id,
        "name": e.name,
        "credit_code": e.credit_code,
        "town_id": e.town_id,
        "town_name": row.town.name if row.town else "",
        "branch_id": e.branch_id,
        "branch_name": row.branch.name if row.branch else "",
        "category": e.category.value,
        "category_name": e.category.label,
        "install_status": e.install_status.value,
        "install_status_name": e.install_status.label,
        "exempt": e.exemption is not None,
        "status": row.status,
        "status_name": STATE_NAMES[row.status],
        "status_at": row.status_at,
        "list_year": e.list_year,
        "list_seq": e.list_seq,
        "version": e.version,
    }


def _ref(f: Any) -> FacilityRef:
    return FacilityRef(facility_id=f.facility_id, code=f.code, name=f.name)


def _terminal(t: Any, now: datetime) -> TerminalItem:
    online = t.online and t.last_frame_at is not None and now - t.last_frame_at <= dashboard.OFFLINE_AFTER
    gps = None if t.gps is None else GpsItem(lat=t.gps.lat, lon=t.gps.lon, at=t.gps.at)
    return TerminalItem(
        mn=t.mn,
        model=t.model,
        firmware=t.firmware,
        profile=t.profile,
        online=online,
        last_frame_at=t.last_frame_at,
        clock_skew_s=t.clock_skew_s,
        gps=gps,
        minute_interval_min=t.minute_interval_min,
        realtime_interval_s=t.realtime_interval_s,
    )


def _detail(f: enterprises.EnterpriseFile, now: datetime) -> EnterpriseDetail:
    e = f.row.enterprise
    ex = e.exemption
    return EnterpriseDetail(
        **_item(f.row),
        permit_no=e.permit_no,
        industry=e.industry,
        performance_grade=e.performance_grade,
        contacts=[
            ContactItem(name=c.name, role=c.role.value, role_name=c.role.label, phone=c.phone)  # type: ignore[arg-type]
            for c in e.contacts
        ],
        exemption=None
        if ex is None
        else ExemptionItem(
            reason=ex.reason.value,  # type: ignore[arg-type]
            reason_name=ex.reason.label,
            approved_by=ex.approved_by,
            approved_at=ex.approved_at,
            note=ex.note,
        ),
        facilities=[
            FacilityItem(
                facility_id=x.facility_id,
                code=x.code,
                name=x.name,
                kind=x.kind.value,
                kind_name=x.kind.label,
                process=x.process,
                rated_power_kw=x.rated_power_kw,
                rated_current_a=x.rated_current_a,
            )
            for x in f.facilities
        ],
        points=[
            PointItem(
                point_id=p.point_id,
                facility_id=p.facility_id,
                point_code=p.point_code,
                name=p.name,
                role=p.role.value,
                role_name=p.role.label,
                mn=p.mn,
                channel=p.channel,
                ct_ratio=p.ct_ratio,
                pt_ratio=p.pt_ratio,
                status=p.status.value,
                status_name=p.status.label,
            )
            for p in f.points
        ],
        lines=[
            LineItem(
                association_id=line.association.association_id,
                name=line.association.name,
                control=None if line.control is None else _ref(line.control),
                production=[_ref(x) for x in line.production],
                production_on_kw=line.association.params.production_on_kw,
                control_on_kw=line.association.params.control_on_kw,
                low_load_ratio=line.association.params.low_load_ratio,
                start_lead_s=line.association.params.start_lead_s,
                stop_lag_s=line.association.params.stop_lag_s,
                confirm_s=line.association.params.confirm_s,
            )
            for line in f.lines
        ],
        terminals=[_terminal(t, now) for t in f.terminals],
        installers=[InstallerItem(account_id=a.id, display_name=a.display_name, phone=a.phone) for a in f.installers],
    )


def _quantities(names: Any) -> dict[str, QuantityInfo]:
    return {q: QuantityInfo(unit=QUANTITY_INFO[q][0], name=QUANTITY_INFO[q][1]) for q in names if q in QUANTITY_INFO}


def _reading(r: Reading) -> ReadingItem:
    return ReadingItem(
        kind=r.kind.value,
        data_time=r.data_time,
        received_at=r.received_at,
        values=dict(r.values),
        flags={q: f for q, f in r.flags.items() if f != "N"},
    )


def _segments(items: Any, names: dict[str, str]) -> list[SegmentItem]:
    return [SegmentItem(start=s.start, end=s.end, state=s.state, state_name=names.get(s.state, s.state)) for s in items]


def _counts(c: dashboard.Counts) -> CountsItem:
    return CountsItem(
        enterprises=c.enterprises,
        exempt=c.exempt,
        terminals_online=c.terminals_online,
        terminals_offline=c.terminals_offline,
        producing=c.status["producing"],
        stopped=c.status["stopped"],
        curtailed=c.status["curtailed"],
        unknown=c.status["unknown"],
        open_alarms=sum(c.open_alarms.values()),
        overdue_alarms=sum(c.overdue_alarms.values()),
        open_by_rule=dict(sorted((+c.open_alarms).items())),
        overdue_by_rule=dict(sorted((+c.overdue_alarms).items())),
    )


@lru_cache(maxsize=4)
def _rule_config(defaults: str, overrides: str) -> RuleConfig:
    """The engine's parameters as the platform loads them (settings `rules_defaults`, `rules_overrides`)."""
    config = load_defaults(Path(defaults) if defaults else None)
    if overrides:
        config = config.with_overrides(json.loads(Path(overrides).read_text(encoding="utf-8")))
    return config


# ---- routes ----------------------------------------------------------------------------------------------------------
def _inner_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    inner = decode_cursor(cursor, keys=("after",))["after"]
    try:
        if not isinstance(inner, str):
            raise ValueError(inner)
        enterprises.parse_cursor(inner)
    except (ValueError, InvalidInputError):
        raise invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor") from None
    return inner


@routes.route(
    "GET",
    "/enterprises",
    action="enterprises.read",
    summary="企业列表（搜索、筛选、分页）",
    query=EnterpriseListQuery,
    response=Page[EnterpriseItem],
)
def list_enterprises(ctx: RequestContext, query: EnterpriseListQuery) -> Page[EnterpriseItem]:
    where = enterprises.EnterpriseFilter(
        q=query.q,
        town_id=query.town_id,
        branch_id=query.branch_id,
        category=None if query.category is None else EnterpriseCategory(query.category),
        install_status=None if query.install_status is None else InstallStatus(query.install_status),
        status=query.status,
        exempt=query.exempt,
    )
    page = enterprises.list_enterprises(
        ctx.store,
        ctx.caller.county_id,
        where,
        visible=ctx.visible_enterprise_ids(),
        now=ctx.now,
        limit=query.limit,
        cursor=_inner_cursor(query.cursor),
    )
    cursor = None if page.next_cursor is None else encode_cursor({"after": page.next_cursor})
    return Page[EnterpriseItem](items=[EnterpriseItem(**_item(r)) for r in page.items], next_cursor=cursor)


@routes.route(
    "GET",
    "/enterprises/{enterprise_id}",
    action="enterprises.read",
    summary="一企一档（设施、点位、治理线、终端、联系人）",
    response=EnterpriseDetail,
)
def get_enterprise(ctx: RequestContext, enterprise_id: str) -> EnterpriseDetail:
    found = enterprises.enterprise_file(ctx.store, enterprise_id, visible=ctx.visible_enterprise_ids(), now=ctx.now)
    return _detail(found, ctx.now)


@routes.route(
    "PATCH",
    "/enterprises/{enterprise_id}",
    action="enterprises.edit",
    summary="修改企业档案（须带版本号）",
    body=EnterprisePatch,
    response=EnterpriseDetail,
)
def edit_enterprise(ctx: RequestContext, enterprise_id: str, body: EnterprisePatch) -> EnterpriseDetail:
    edit = enterprise_edit.EnterpriseEdit(
        name=body.name,
        credit_code=body.credit_code,
        permit_no=body.permit_no,
        industry=body.industry,
        performance_grade=body.performance_grade,
        category=None if body.category is None else EnterpriseCategory(body.category),
        town_id=body.town_id,
        branch_id=body.branch_id,
        contacts=None
        if body.contacts is None
        else tuple(Contact(c.name, ContactRole(c.role), c.phone) for c in body.contacts),
        install_status=None if body.install_status is None else InstallStatus(body.install_status),
        reason=body.install_reason,
        exemption_reason=None if body.exemption_reason is None else ExemptionReason(body.exemption_reason),
        exemption_note=body.exemption_note,
        revoke_exemption=body.revoke_exemption,
    )
    visible = ctx.visible_enterprise_ids()
    editor = ctx.caller.display_name or ctx.caller.username
    saved = enterprise_edit.edit_enterprise(
        ctx.store, enterprise_id, body.version, edit, visible=visible, editor=editor, now=ctx.now
    )
    changed = sorted(k for k, v in body.model_dump(exclude_unset=True).items() if k != "version")
    ctx.audit("enterprise", enterprise_id, enterprise_id, fields=changed, version=saved.version)
    return _detail(enterprises.enterprise_file(ctx.store, saved.enterprise_id, visible=visible, now=ctx.now), ctx.now)


@routes.route(
    "PUT",
    "/enterprises/{enterprise_id}/contacts",
    action="enterprises.contacts",
    summary="更新企业联系人（企业可维护本企业联系人）",
    body=ContactsPut,
    response=EnterpriseDetail,
)
def put_contacts(ctx: RequestContext, enterprise_id: str, body: ContactsPut) -> EnterpriseDetail:
    contacts = tuple(Contact(c.name, ContactRole(c.role), c.phone) for c in body.contacts)
    visible = ctx.visible_enterprise_ids()
    editor = ctx.caller.display_name or ctx.caller.username
    saved = enterprise_edit.edit_enterprise(
        ctx.store,
        enterprise_id,
        body.version,
        enterprise_edit.EnterpriseEdit(contacts=contacts),
        visible=visible,
        editor=editor,
        now=ctx.now,
    )
    ctx.audit("enterprise", enterprise_id, enterprise_id, fields=["contacts"], version=saved.version)
    return _detail(enterprises.enterprise_file(ctx.store, saved.enterprise_id, visible=visible, now=ctx.now), ctx.now)


@routes.route(
    "GET",
    "/enterprises/{enterprise_id}/energy/daily",
    action="readings.read",
    summary="企业每日用电量（产污/治污/总进线）",
    query=EnergyQuery,
    response=EnergyOut,
)
def daily_energy(ctx: RequestContext, enterprise_id: str, query: EnergyQuery) -> EnergyOut:
    days = energy.daily_energy(
        ctx.store, enterprise_id, days=query.days, visible=ctx.visible_enterprise_ids(), now=ctx.now
    )
    return EnergyOut(
        enterprise_id=enterprise_id,
        days=[
            DayEnergyItem(
                day=d.day,
                production_kwh=d.production_kwh,
                control_kwh=d.control_kwh,
                main_kwh=d.main_kwh,
                complete=d.complete,
                partial_day=d.partial_day,
            )
            for d in days
        ],
    )


@routes.route(
    "GET",
    "/enterprises/{enterprise_id}/timeline",
    action="readings.read",
    summary="企业一天的运行状态时间线",
    query=TimelineQuery,
    response=TimelineOut,
)
def enterprise_timeline(ctx: RequestContext, enterprise_id: str, query: TimelineQuery) -> TimelineOut:
    tl = timeline.enterprise_timeline(
        ctx.store,
        enterprise_id,
        query.day,
        config=_rule_config(ctx.services.settings.rules_defaults, ctx.services.settings.rules_overrides),
        visible=ctx.visible_enterprise_ids(),
        now=ctx.now,
    )
    return TimelineOut(
        enterprise_id=tl.enterprise_id,
        day=tl.day,
        start=tl.start,
        end=tl.end,
        enterprise=_segments(tl.enterprise, ENTERPRISE_STATE_NAMES),
        lines=[
            LineTimelineItem(
                association_id=line.association_id,
                name=line.name,
                production=_segments(line.production, LINE_STATE_NAMES),
                control=_segments(line.control, LINE_STATE_NAMES),
            )
            for line in tl.lines
        ],
    )


@routes.route(
    "GET", "/points/{point_id}/latest", action="readings.read", summary="点位最新数据（各类数据）", response=LatestOut
)
def point_latest(ctx: RequestContext, point_id: str) -> LatestOut:
    visible = ctx.visible_enterprise_ids()
    point = series.visible_point(ctx.store, point_id, visible)
    found = series.latest(ctx.store, point_id, visible=visible)
    readings = [_reading(found[k]) for k in ReadingKind if k in found]
    names = sorted({q for r in readings for q in r.values})
    return LatestOut(
        point_id=point.point_id, enterprise_id=point.enterprise_id, readings=readings, quantities=_quantities(names)
    )


@routes.route(
    "GET",
    "/points/{point_id}/series",
    action="readings.read",
    summary="点位曲线（24 小时内分钟数据，更长为小时汇总，最长 31 天）",
    query=SeriesQuery,
    response=SeriesOut,
)
def point_series(ctx: RequestContext, point_id: str, query: SeriesQuery) -> SeriesOut:
    cache: SeriesCache[series.SeriesRow] = ctx.services.extras.setdefault("series_cache", SeriesCache())
    found = series.point_series(
        ctx.store,
        point_id,
        query.start,
        query.end,
        quantities=query.quantity,
        visible=ctx.visible_enterprise_ids(),
        now=ctx.now,
        cache=cache,
    )
    return SeriesOut(
        point_id=found.point.point_id,
        start=found.start,
        end=found.end,
        resolution=found.resolution,  # type: ignore[arg-type]
        quantities=_quantities(found.quantities),
        rows=[
            SeriesRowItem(
                at=r.at,
                values=dict(r.values),
                min=None if r.minimum is None else dict(r.minimum),
                max=None if r.maximum is None else dict(r.maximum),
                samples=r.samples,
                energy_kwh=r.energy_kwh,
                flags=None if r.flags is None else dict(r.flags),
            )
            for r in found.rows
        ],
        gaps=[Span(start=a, end=b) for a, b in found.gaps],
    )


@routes.route(
    "GET", "/dashboard/summary", action="dashboard.read", summary="按镇/街道、执法分局汇总（首页）", response=SummaryOut
)
def dashboard_summary(ctx: RequestContext) -> SummaryOut:
    cache: dashboard.SummaryCache = ctx.services.extras.setdefault("dashboard_summary", dashboard.SummaryCache())
    s = cache.get(ctx.store, ctx.caller.county_id, visible=ctx.visible_enterprise_ids(), now=ctx.now)
    return SummaryOut(
        at=s.at,
        total=_counts(s.total),
        towns=[AreaItem(id=a.area_id, name=a.name, counts=_counts(a.counts)) for a in s.towns],
        branches=[AreaItem(id=a.area_id, name=a.name, counts=_counts(a.counts)) for a in s.branches],
    )


@routes.route(
    "GET",
    "/audit",
    action="audit.read",
    summary="操作审计日志（谁、何时、从哪里、做了什么）",
    query=AuditQuery,
    response=AuditPageOut,
)
def audit_log(ctx: RequestContext, query: AuditQuery) -> AuditPageOut:
    where = audit_view.AuditFilter(
        since=query.since,
        until=query.until,
        actor_id=query.actor_id,
        object_type=query.object_type,
        object_id=query.object_id,
        enterprise_id=query.enterprise_id,
    )
    inner: str | None = None
    if query.cursor is not None:
        decoded = decode_cursor(query.cursor, keys=("trail",))["trail"]
        if not isinstance(decoded, str):
            raise invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
        inner = decoded
    try:
        page = audit_view.audit_log(
            ctx.store, where, visible=ctx.visible_enterprise_ids(), now=ctx.now, limit=query.limit, cursor=inner
        )
    except InvalidInputError as exc:
        if query.cursor is not None and "游标" in str(exc):
            raise invalid(str(exc), "cursor", "invalid_cursor") from None
        raise
    entries = page.alarm_entries
    return AuditPageOut(
        items=[
            AuditItem(
                record_id=r.record_id,
                at=r.at,
                actor_id=r.actor_id,
                actor_name=page.actor_names.get(r.actor_id, ""),
                actor_role=r.actor_role,
                source_ip=r.source_ip,
                channel=r.channel,
                action=r.action,
                object_type=r.object_type,
                object_id=r.object_id,
                enterprise_id=r.enterprise_id,
                detail=dict(r.detail),
            )
            for r in page.records
        ],
        next_cursor=None if page.next_cursor is None else encode_cursor({"trail": page.next_cursor}),
        since=page.since,
        until=page.until,
        alarm_entries=None
        if entries is None
        else [
            AlarmAuditItem(
                at=e.at,
                actor=e.actor,
                role=e.role,
                source=e.source,
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                detail=dict(e.detail),
            )
            for e in entries
        ],
    )
