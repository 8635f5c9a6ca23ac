"""Emergency (应急管控): alerts published and ended by the emergency section, each enterprise's measures per level,
live compliance of an alert and its report as an XLSX download."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import quote

from chalice.app import Response
from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import page_slice
from miniprogram_api.chalicelib.routes.alarms import Moment
from monitoring.emergency import live
from monitoring.emergency.compliance import write_xlsx
from monitoring.emergency.declare import end_alert, new_alert
from monitoring.emergency.measures_edit import set_measures
from monitoring.emergency.models import LEVEL_NAMES, EmergencyAlert, EnterpriseMeasures, Level, LevelMeasures
from monitoring.emergency.service import ComplianceRow
from monitoring.errors import NotFoundError

routes = ApiBlueprint("emergency")

Hour = Annotated[int, Field(ge=0, le=24)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ALL_TIME = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


# ---- models ----------------------------------------------------------------------------------------------------
class AlertIn(ApiModel):
    level: Level = Field(description="yellow 黄色、orange 橙色、red 红色")
    start: Moment
    end: Moment = Field(description="预计结束时间（可提前解除）；最长 31 天")
    title: str = Field("", max_length=200)
    alert_id: Id | None = Field(None, description="预警编号；不填按级别与开始时间生成")
    enterprise_ids: list[Id] | None = Field(None, max_length=2000, description="只对这些企业（不填为全县）")
    town_ids: list[Id] | None = Field(None, max_length=100, description="只对这些镇/街道")


class EndIn(ApiModel):
    at: Moment | None = Field(None, description="解除时间；不填为现在")


class AlertOut(ApiModel):
    id: str
    level: Level
    level_name: str
    start: BeijingTime
    end: BeijingTime
    title: str
    enterprise_ids: list[str] | None
    town_ids: list[str] | None
    declared_by: str
    active: bool = Field(description="当前是否生效")
    phase: Literal["upcoming", "active", "ended"] = Field(
        description="按平台时钟：upcoming 未开始，active 生效中，ended 已结束（演示时钟可能快于真实时间）"
    )

    @classmethod
    def of(cls, a: EmergencyAlert, now: datetime) -> AlertOut:
        return cls(
            id=a.id,
            level=a.level,
            level_name=LEVEL_NAMES[a.level],
            start=a.start,
            end=a.end,
            title=a.title,
            enterprise_ids=None if a.enterprises is None else sorted(a.enterprises),
            town_ids=None if a.towns is None else sorted(a.towns),
            declared_by=a.declared_by,
            active=a.start <= now < a.end,
            phase="upcoming" if now < a.start else "active" if now < a.end else "ended",
        )


class AlertsQuery(PageQuery):
    active: bool | None = Field(None, description="true 只看生效中的，false 只看未生效或已结束的")


class ViolationOut(ApiModel):
    start: BeijingTime
    end: BeijingTime
    reason: str


class ComplianceRowOut(ApiModel):
    enterprise_id: str
    enterprise_name: str
    baseline_kwh: float | None
    actual_kwh: float
    required_reduction: float | None = Field(description="要求减排比例 0..1")
    achieved_reduction: float | None
    compliant: bool | None = Field(description="是否落实；null 为无数据无法判定")
    intervals: int
    intervals_without_verdict: int
    violations: list[ViolationOut]

    @classmethod
    def of(cls, r: ComplianceRow) -> ComplianceRowOut:
        return cls(
            enterprise_id=r.enterprise_id,
            enterprise_name=r.enterprise_name,
            baseline_kwh=r.baseline_kwh,
            actual_kwh=r.actual_kwh,
            required_reduction=r.required_reduction,
            achieved_reduction=r.achieved_reduction,
            compliant=r.compliant,
            intervals=r.intervals,
            intervals_without_verdict=r.intervals_without_verdict,
            violations=[ViolationOut(start=a, end=b, reason=why) for a, b, why in r.violating_intervals],
        )


class ComplianceQuery(PageQuery):
    limit: int = Field(20, ge=1, le=50, description="每页企业数（逐页按分钟数据评估）")


class ComplianceOut(ApiModel):
    alert: AlertOut
    evaluated_until: BeijingTime
    rows: list[ComplianceRowOut]
    next_cursor: str | None = Field(None, description="下一页企业；null 为最后一页")


class LevelMeasuresIO(ApiModel):
    stop_points: list[Id] = Field(default_factory=list, max_length=200, description="应停产的产污点位")
    energy_share: float | None = Field(None, ge=0.0, le=1.0, description="生产用电不超过基线的比例")
    forbidden_hours: list[tuple[Hour, Hour]] = Field(
        default_factory=list, max_length=24, description="错峰停产时段，北京时间整点 [起, 止)"
    )


class MeasuresIO(ApiModel):
    yellow: LevelMeasuresIO | None = None
    orange: LevelMeasuresIO | None = None
    red: LevelMeasuresIO | None = None


class MeasuresOut(MeasuresIO):
    enterprise_id: str

    @classmethod
    def of(cls, enterprise_id: str, m: EnterpriseMeasures | None) -> MeasuresOut:
        levels = {} if m is None else m.levels

        def one(level: Level) -> LevelMeasuresIO | None:
            lm = levels.get(level)
            if lm is None:
                return None
            return LevelMeasuresIO(
                stop_points=list(lm.stop_points), energy_share=lm.energy_share, forbidden_hours=list(lm.forbidden_hours)
            )

        return cls(enterprise_id=enterprise_id, yellow=one(Level.YELLOW), orange=one(Level.ORANGE), red=one(Level.RED))


# ---- helpers ---------------------------------------------------------------------------------------------------
def _check_scope(ctx: RequestContext, body: AlertIn) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    county = ctx.caller.county_id
    enterprises = None
    if body.enterprise_ids:
        for eid in body.enterprise_ids:
            found = ctx.store.registry.find_enterprise(eid)
            if found is None or found.county_id != county:
                raise errors.invalid(f"企业 {eid} 不在名单中", "enterprise_ids")
        enterprises = frozenset(body.enterprise_ids)
    towns = None
    if body.town_ids:
        known = {t.town_id for t in ctx.store.registry.list_towns(county)}
        missing = sorted(set(body.town_ids) - known)
        if missing:
            raise errors.invalid(f"镇（街道）{'、'.join(missing)} 不存在", "town_ids")
        towns = frozenset(body.town_ids)
    return enterprises, towns


# ---- alerts ----------------------------------------------------------------------------------------------------
@routes.route(
    "GET",
    "/emergency/alerts",
    action="emergency.alerts.read",
    summary="应急预警列表（新的在前）",
    query=AlertsQuery,
    response=Page[AlertOut],
)
def list_alerts(ctx: RequestContext, query: AlertsQuery) -> Page[AlertOut]:
    alerts = sorted(ctx.store.emergency.alerts_between(*_ALL_TIME), key=lambda a: (a.start, a.id), reverse=True)
    if query.active is not None:
        alerts = [a for a in alerts if (a.start <= ctx.now < a.end) == query.active]
    items, cursor = page_slice(alerts, query)
    return Page[AlertOut](items=[AlertOut.of(a, ctx.now) for a in items], next_cursor=cursor)


@routes.route(
    "POST",
    "/emergency/alerts",
    action="emergency.alerts.publish",
    summary="发布应急预警",
    body=AlertIn,
    response=AlertOut,
    status=201,
)
def publish_alert(ctx: RequestContext, body: AlertIn) -> AlertOut:
    enterprises, towns = _check_scope(ctx, body)
    alert = new_alert(
        body.level,
        body.start.replace(second=0, microsecond=0),
        body.end.replace(second=0, microsecond=0),
        alert_id=body.alert_id,
        title=body.title,
        enterprises=enterprises,
        towns=towns,
        declared_by=ctx.caller.display_name[:64],
        county_id=ctx.caller.county_id,
    )
    try:
        existing = ctx.store.emergency.get_alert(alert.id)
    except NotFoundError:
        existing = None
    if existing is not None and existing != alert:
        raise errors.conflict(f"预警编号 {alert.id} 已存在且内容不同（调整结束时间请用解除）", "alert_exists")
    if existing is None:
        ctx.store.emergency.put_alert(alert)
    ctx.audit("emergency_alert", alert.id, level=alert.level.value)
    return AlertOut.of(alert, ctx.now)


@routes.route(
    "POST",
    "/emergency/alerts/{alert_id}/end",
    action="emergency.alerts.end",
    summary="解除应急预警（或调整结束时间）",
    body=EndIn,
    response=AlertOut,
)
def end(ctx: RequestContext, alert_id: str, body: EndIn) -> AlertOut:
    at = (body.at or ctx.now).replace(second=0, microsecond=0)
    ended = end_alert(ctx.store.emergency, alert_id, at)
    ctx.audit("emergency_alert", ended.id, end=ended.end.isoformat())
    return AlertOut.of(ended, ctx.now)


@routes.route(
    "GET",
    "/emergency/alerts/{alert_id}/compliance",
    action="emergency.compliance.read",
    summary="预警期间措施落实情况（截至现在；只含可见企业；按企业分页）",
    query=ComplianceQuery,
    response=ComplianceOut,
)
def compliance(ctx: RequestContext, alert_id: str, query: ComplianceQuery) -> ComplianceOut:
    alert = ctx.store.emergency.get_alert(alert_id)
    county = ctx.caller.county_id
    page, cursor = page_slice(live.covered(ctx.store, county, alert, ctx.visible_enterprise_ids()), query)
    found = live.rows(ctx.store, county, alert, ctx.now, page)
    return ComplianceOut(
        alert=AlertOut.of(alert, ctx.now),
        evaluated_until=live.evaluated_until(alert, ctx.now),
        rows=[ComplianceRowOut.of(r) for r in found],
        next_cursor=cursor,
    )


@routes.route(
    "GET",
    "/emergency/alerts/{alert_id}/compliance.xlsx",
    action="emergency.compliance.read",
    summary="下载措施落实情况报表（XLSX）",
    response_media_type=XLSX,
)
def compliance_xlsx(ctx: RequestContext, alert_id: str) -> Response:
    alert, rows = live.compliance_now(ctx.store, ctx.caller.county_id, alert_id, ctx.now, ctx.visible_enterprise_ids())
    out = io.BytesIO()
    write_xlsx(alert, rows, out)
    name = f"应急管控执行情况-{alert.id}.xlsx"
    disposition = f"attachment; filename=\"compliance-{alert.id}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(
        body=out.getvalue(), status_code=200, headers={"Content-Type": XLSX, "Content-Disposition": disposition}
    )


# ---- measures --------------------------------------------------------------------------------------------------
@routes.route(
    "GET",
    "/enterprises/{enterprise_id}/measures",
    action="emergency.measures.read",
    summary="企业应急减排措施（一厂一策）",
    response=MeasuresOut,
)
def get_measures(ctx: RequestContext, enterprise_id: str) -> MeasuresOut:
    ctx.enterprise(enterprise_id)
    return MeasuresOut.of(enterprise_id, ctx.store.emergency.measures().get(enterprise_id))


@routes.route(
    "PUT",
    "/enterprises/{enterprise_id}/measures",
    action="emergency.measures.edit",
    summary="设置企业应急减排措施（整体替换；各级均不填即清空）",
    body=MeasuresIO,
    response=MeasuresOut,
)
def put_measures(ctx: RequestContext, enterprise_id: str, body: MeasuresIO) -> MeasuresOut:
    ctx.enterprise(enterprise_id)
    levels = {
        level: LevelMeasures(tuple(m.stop_points), m.energy_share, tuple(m.forbidden_hours))
        for level, m in ((Level.YELLOW, body.yellow), (Level.ORANGE, body.orange), (Level.RED, body.red))
        if m is not None
    }
    stored = set_measures(ctx.store.registry, ctx.store.emergency, enterprise_id, levels)
    ctx.audit("emergency_measures", enterprise_id, enterprise_id=enterprise_id, levels=sorted(levels))
    return MeasuresOut.of(enterprise_id, stored)
