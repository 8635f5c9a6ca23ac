"""Fault reports (故障申报, due within 2 h of the fault) and stoppage requests (停运/拆除报备, decided within 5
working days, else deemed approved): file, list, detail, and the branch's or bureau's decision."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor
from miniprogram_api.chalicelib.routes.alarms import Moment, PhotoRef
from monitoring._time import CHINA
from monitoring.reports import service
from monitoring.reports.models import Decision, FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.reports.service import decision_calendar_warning, decision_deadline, effective_decision
from monitoring.reports.views import Position, StoppageView, fault_reports, stoppage_requests

routes = ApiBlueprint("reports")

FAULT_KIND_NAMES = {FaultKind.CONTROL_EQUIPMENT: "污染治理设施故障", FaultKind.MONITORING: "用电工况监控设备故障"}
STOPPAGE_KIND_NAMES = {
    StoppageKind.CONTROL_STOP: "治污设施停运（检修）",
    StoppageKind.MONITORING_STOP: "监控设施停运",
    StoppageKind.MONITORING_REMOVAL: "监控设施拆除",
}
DECISION_NAMES = {
    Decision.PENDING: "待审批",
    Decision.APPROVED: "同意",
    Decision.REJECTED: "不同意",
    Decision.DEEMED_APPROVED: "逾期未决定，视为同意",
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


# ---- models ----------------------------------------------------------------------------------------------------
class FaultIn(ApiModel):
    enterprise_id: Id
    kind: FaultKind = Field(description="control_equipment 污染治理设施故障、monitoring 监控设备故障")
    point_ids: list[Id] = Field(min_length=1, max_length=50, description="受影响的点位")
    fault_start: Moment = Field(description="故障开始时间（须在 2 小时内申报，超时照收并标记）")
    description: str = Field(min_length=1, max_length=2000)
    photos: list[PhotoRef] = Field(default_factory=list, max_length=9)


class ResolveIn(ApiModel):
    resolved_at: Moment = Field(description="恢复时间")


class FaultOut(ApiModel):
    id: str
    enterprise_id: str
    kind: FaultKind
    kind_name: str
    point_ids: list[str]
    fault_start: BeijingTime
    filed_at: BeijingTime
    filed_by: str
    filed_late: bool = Field(description="晚于故障开始 2 小时申报")
    description: str
    photos: list[str]
    resolved_at: BeijingTime | None
    acknowledged_by: str | None

    @classmethod
    def of(cls, f: FaultReport) -> FaultOut:
        return cls(
            id=f.id,
            enterprise_id=f.enterprise_id,
            kind=f.kind,
            kind_name=FAULT_KIND_NAMES[f.kind],
            point_ids=list(f.point_ids),
            fault_start=f.fault_start,
            filed_at=f.filed_at,
            filed_by=f.filed_by,
            filed_late=f.filed_late,
            description=f.description,
            photos=list(f.photos),
            resolved_at=f.resolved_at,
            acknowledged_by=f.acknowledged_by,
        )


class FaultsQuery(PageQuery):
    enterprise_id: list[Id] | None = Field(None, max_length=200)
    open_only: bool = Field(False, description="只看未恢复的")
    filed_from: Moment | None = None


class StoppageIn(ApiModel):
    enterprise_id: Id
    kind: StoppageKind = Field(
        description="control_stop 治污设施停运、monitoring_stop 监控停运、monitoring_removal 拆除"
    )
    point_ids: list[Id] = Field(min_length=1, max_length=50)
    start: Moment
    end: Moment | None = Field(None, description="结束时间（拆除可不填）")
    reason: str = Field(min_length=1, max_length=2000)


class DecisionIn(ApiModel):
    approve: bool
    note: str = Field("", max_length=2000)


class StoppageOut(ApiModel):
    id: str
    enterprise_id: str
    kind: StoppageKind
    kind_name: str
    point_ids: list[str]
    start: BeijingTime
    end: BeijingTime | None
    reason: str
    filed_at: BeijingTime
    filed_by: str
    decision: Decision = Field(description="当前有效结论：pending、approved、rejected、deemed_approved")
    decision_name: str
    decision_deadline: BeijingTime = Field(description="5 个工作日的决定期限，逾期视为同意")
    calendar_warning: str | None = Field(description="期限所涉年度的法定节假日安排未录入时的提示，否则为空")
    decided_at: BeijingTime | None
    decided_by: str | None
    decision_note: str

    @classmethod
    def of(cls, v: StoppageView) -> StoppageOut:
        r = v.request
        return cls(
            id=r.id,
            enterprise_id=r.enterprise_id,
            kind=r.kind,
            kind_name=STOPPAGE_KIND_NAMES[r.kind],
            point_ids=list(r.point_ids),
            start=r.start,
            end=r.end,
            reason=r.reason,
            filed_at=r.filed_at,
            filed_by=r.filed_by,
            decision=v.effective,
            decision_name=DECISION_NAMES[v.effective],
            decision_deadline=v.deadline,
            calendar_warning=decision_calendar_warning(r),
            decided_at=r.decided_at,
            decided_by=r.decided_by,
            decision_note=r.decision_note,
        )


class StoppagesQuery(PageQuery):
    enterprise_id: list[Id] | None = Field(None, max_length=200)
    decision: list[Decision] | None = Field(None, max_length=4, description="按当前有效结论筛选")
    filed_from: Moment | None = None


# ---- helpers ---------------------------------------------------------------------------------------------------
def _new_id(prefix: str, now: datetime) -> str:
    return f"{prefix}-{now.astimezone(CHINA):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"


def _after(cursor: str | None) -> Position | None:
    if not cursor:
        return None
    pos = decode_cursor(cursor, keys=("id", "t"))
    t, ident = pos["t"], pos["id"]
    try:
        ok = (
            isinstance(t, str) and isinstance(ident, str) and bool(_ID.match(ident)) and bool(datetime.fromisoformat(t))
        )
    except ValueError:
        ok = False
    if not ok:
        raise errors.invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
    return (str(t), str(ident))


def _cursor(pos: Position | None) -> str | None:
    return None if pos is None else encode_cursor({"t": pos[0], "id": pos[1]})


def _points(ctx: RequestContext, enterprise_id: str) -> list[str]:
    return [p.point_id for p in ctx.store.registry.list_points(enterprise_id)]


def _fault(ctx: RequestContext, report_id: str) -> FaultReport:
    report = ctx.store.reports.get_fault(report_id)
    ctx.require_visible(report.enterprise_id, "故障申报不存在")
    return report


def _stoppage(ctx: RequestContext, request_id: str) -> StoppageRequest:
    request = ctx.store.reports.get_stoppage(request_id)
    ctx.require_visible(request.enterprise_id, "报备不存在")
    return request


def _view(request: StoppageRequest, now: datetime) -> StoppageView:
    return StoppageView(request, effective_decision(request, now), decision_deadline(request))


# ---- fault reports ---------------------------------------------------------------------------------------------
@routes.route(
    "GET",
    "/fault-reports",
    action="faults.read",
    summary="故障申报列表（新的在前）",
    query=FaultsQuery,
    response=Page[FaultOut],
)
def list_faults(ctx: RequestContext, query: FaultsQuery) -> Page[FaultOut]:
    items, nxt = fault_reports(
        ctx.store,
        ctx.visible_enterprise_ids(),
        enterprises=query.enterprise_id or (),
        open_only=query.open_only,
        since=query.filed_from,
        after=_after(query.cursor),
        limit=query.limit,
        county_id=ctx.caller.county_id,
    )
    return Page[FaultOut](items=[FaultOut.of(f) for f in items], next_cursor=_cursor(nxt))


@routes.route(
    "POST",
    "/fault-reports",
    action="faults.file",
    summary="故障申报（故障后 2 小时内）",
    body=FaultIn,
    response=FaultOut,
    status=201,
)
def file_fault(ctx: RequestContext, body: FaultIn) -> FaultOut:
    ctx.enterprise(body.enterprise_id)
    report = FaultReport(
        id=_new_id("GZ", ctx.now),
        enterprise_id=body.enterprise_id,
        kind=body.kind,
        point_ids=tuple(body.point_ids),
        fault_start=body.fault_start,
        filed_at=ctx.now,
        filed_by=ctx.caller.id,
        description=body.description.strip(),
        photos=tuple(body.photos),
    )
    stored = service.file_fault(ctx.store.reports, report, _points(ctx, body.enterprise_id))
    ctx.audit("fault_report", stored.id, enterprise_id=stored.enterprise_id, late=stored.filed_late)
    return FaultOut.of(stored)


@routes.route("GET", "/fault-reports/{report_id}", action="faults.read", summary="故障申报详情", response=FaultOut)
def get_fault(ctx: RequestContext, report_id: str) -> FaultOut:
    return FaultOut.of(_fault(ctx, report_id))


@routes.route(
    "POST",
    "/fault-reports/{report_id}/acknowledge",
    action="faults.acknowledge",
    summary="受理故障申报",
    response=FaultOut,
)
def acknowledge_fault(ctx: RequestContext, report_id: str) -> FaultOut:
    report = _fault(ctx, report_id)
    stored = service.acknowledge_fault(ctx.store.reports, report.id, by=ctx.caller.id)
    ctx.audit("fault_report", stored.id, enterprise_id=stored.enterprise_id)
    return FaultOut.of(stored)


@routes.route(
    "POST",
    "/fault-reports/{report_id}/resolve",
    action="faults.resolve",
    summary="故障已恢复",
    body=ResolveIn,
    response=FaultOut,
)
def resolve_fault(ctx: RequestContext, report_id: str, body: ResolveIn) -> FaultOut:
    report = _fault(ctx, report_id)
    if body.resolved_at > ctx.now:
        raise errors.invalid("恢复时间不能晚于当前时间", "resolved_at")
    stored = service.resolve_fault(ctx.store.reports, report.id, body.resolved_at)
    ctx.audit("fault_report", stored.id, enterprise_id=stored.enterprise_id)
    return FaultOut.of(stored)


# ---- stoppage requests -----------------------------------------------------------------------------------------
@routes.route(
    "GET",
    "/stoppage-requests",
    action="stoppages.read",
    summary="停运/拆除报备列表（新的在前，含逾期视为同意）",
    query=StoppagesQuery,
    response=Page[StoppageOut],
)
def list_stoppages(ctx: RequestContext, query: StoppagesQuery) -> Page[StoppageOut]:
    items, nxt = stoppage_requests(
        ctx.store,
        ctx.visible_enterprise_ids(),
        ctx.now,
        enterprises=query.enterprise_id or (),
        decisions=None if query.decision is None else frozenset(query.decision),
        since=query.filed_from,
        after=_after(query.cursor),
        limit=query.limit,
        county_id=ctx.caller.county_id,
    )
    return Page[StoppageOut](items=[StoppageOut.of(v) for v in items], next_cursor=_cursor(nxt))


@routes.route(
    "POST",
    "/stoppage-requests",
    action="stoppages.file",
    summary="停运/拆除报备（事先报告）",
    body=StoppageIn,
    response=StoppageOut,
    status=201,
)
def file_stoppage(ctx: RequestContext, body: StoppageIn) -> StoppageOut:
    ctx.enterprise(body.enterprise_id)
    request = StoppageRequest(
        id=_new_id("TY", ctx.now),
        enterprise_id=body.enterprise_id,
        kind=body.kind,
        point_ids=tuple(body.point_ids),
        start=body.start,
        end=body.end,
        reason=body.reason.strip(),
        filed_at=ctx.now,
        filed_by=ctx.caller.id,
    )
    stored = service.file_stoppage(ctx.store.reports, request, _points(ctx, body.enterprise_id))
    ctx.audit("stoppage_request", stored.id, enterprise_id=stored.enterprise_id, kind=stored.kind.value)
    return StoppageOut.of(_view(stored, ctx.now))


@routes.route(
    "GET", "/stoppage-requests/{request_id}", action="stoppages.read", summary="报备详情", response=StoppageOut
)
def get_stoppage(ctx: RequestContext, request_id: str) -> StoppageOut:
    return StoppageOut.of(_view(_stoppage(ctx, request_id), ctx.now))


@routes.route(
    "POST",
    "/stoppage-requests/{request_id}/decision",
    action="stoppages.decide",
    summary="审批报备（同意/不同意；5 个工作日后视为同意，不能再改）",
    body=DecisionIn,
    response=StoppageOut,
)
def decide_stoppage(ctx: RequestContext, request_id: str, body: DecisionIn) -> StoppageOut:
    request = _stoppage(ctx, request_id)
    stored = service.decide_stoppage(
        ctx.store.reports, request.id, approve=body.approve, by=ctx.caller.id, note=body.note.strip(), now=ctx.now
    )
    ctx.audit("stoppage_request", stored.id, enterprise_id=stored.enterprise_id, decision=stored.decision.value)
    return StoppageOut.of(_view(stored, ctx.now))
