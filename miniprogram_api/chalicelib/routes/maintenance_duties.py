"""The service provider's duties (二.4): inspections due per terminal (14 days), repair tasks with their 24-hour
countdown, recording an inspection (fixed checklist, readings seen) or a repair, and who each enterprise's
provider is (set by 大气科 and admins)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id
from miniprogram_api.chalicelib.routes.maintenance import EntryOut, PhotoId, ShortText, _photos
from miniprogram_api.chalicelib.routes.terminals import _terminal
from monitoring.accounts.models import Role
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.maintenance.checklist import checklist
from monitoring.maintenance.models import ServiceProvider
from monitoring.maintenance.schedule import INSPECTION_INTERVAL, REPAIR_LIMIT, InspectionState, RepairState
from monitoring.maintenance.service import (
    RepairObligation,
    find_obligation,
    inspections,
    record_inspection,
    record_repair,
    repair_obligations,
    set_provider,
)

routes = ApiBlueprint("maintenance_duties")

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,16}$")]
_OBLIGATION_ID = re.compile(r"(alarm|fault):[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class ChecklistItemOut(ApiModel):
    key: str
    title: str


class ChecklistOut(ApiModel):
    items: list[ChecklistItemOut]
    inspection_interval_days: int = Field(description="巡检间隔上限（自然日）")
    repair_limit_hours: int = Field(description="故障修复时限（自然小时）")


class InspectionDueOut(ApiModel):
    mn: str
    enterprise_id: str
    enterprise_name: str
    state: InspectionState = Field(description="ok 正常 / due_soon 即将到期 / overdue 已超期 / not_started 未投运")
    state_name: str
    last_inspection_at: BeijingTime | None
    last_entry_id: str
    due_at: BeijingTime | None = Field(description="最迟巡检时间（上次巡检或调试后 14 天）")


class RepairOut(ApiModel):
    obligation_id: str
    enterprise_id: str
    enterprise_name: str
    mn: str
    source: str = Field(description="fault 故障申报 / alarm 离线或掉电报警")
    title: str
    opened_at: BeijingTime
    deadline: BeijingTime = Field(description="修复时限（开始后 24 小时）")
    seconds_left: int = Field(description="距时限的秒数；负数为已超时")
    state: RepairState
    state_name: str
    repaired_at: BeijingTime | None
    entry_id: str


class InspectionsOut(ApiModel):
    items: list[InspectionDueOut]
    counts: dict[str, int] = Field(description="按状态计数（筛选前，范围内全部终端）")


class RepairsOut(ApiModel):
    items: list[RepairOut]
    counts: dict[str, int] = Field(description="按状态计数（筛选前）")


class DutyQuery(ApiModel):
    state: str | None = Field(None, pattern=r"^[a-z_]{1,20}$", description="只看某一状态，如 overdue")
    enterprise_id: Id | None = None


class ReadingIn(ApiModel):
    point_id: Id
    code: Code = Field(description="数据项，如 p（有功功率 kW）、ia（A相电流 A）、ep_fwd（正向有功电能 kWh）")
    value: float = Field(description="现场读到的数值")


class InspectionIn(ApiModel):
    at: datetime | None = Field(None, description="巡检时间（带时区），默认现在；不得晚于现在")
    checklist: dict[Code, bool] = Field(description="每个检查项：正常 true / 异常 false（须逐项填写）")
    readings: list[ReadingIn] = Field(default_factory=list, max_length=30)
    photo_ids: list[PhotoId] = Field(default_factory=list, max_length=9)
    text: str = Field("", max_length=1000, description="备注")


class RepairIn(ApiModel):
    at: datetime | None = Field(None, description="修复时间（带时区），默认现在；不得晚于现在")
    text: str = Field(min_length=1, max_length=1000, description="维修内容")
    parts: list[ShortText] = Field(default_factory=list, max_length=30, description="更换配件")
    photo_ids: list[PhotoId] = Field(default_factory=list, max_length=9)


class ProviderIn(ApiModel):
    name: str = Field(min_length=1, max_length=60, description="运维单位名称")
    account_ids: list[Id] = Field(min_length=1, max_length=20, description="运维人员账号（安装/运维角色）")
    phone: str = Field("", max_length=20)


class ProviderOut(ApiModel):
    enterprise_id: str
    name: str
    account_ids: list[str]
    phone: str
    set_by: str
    set_at: BeijingTime

    @classmethod
    def of(cls, p: ServiceProvider) -> ProviderOut:
        return cls(enterprise_id=p.enterprise_id, name=p.name, account_ids=list(p.account_ids), phone=p.phone,
                   set_by=p.set_by, set_at=p.set_at)  # fmt: skip


def _work_time(ctx: RequestContext, at: datetime | None) -> datetime:
    at = at or ctx.now
    if at.tzinfo is None:
        raise errors.invalid("时间须带时区", "at")
    if at > ctx.now:
        raise errors.invalid("作业时间不能晚于现在", "at")
    return at


def _terminal_in_scope(ctx: RequestContext, mn: str, enterprise_id: str) -> bool:
    """An installer sees the terminals it is assigned (its enterprises' or its own MNs); others their enterprises."""
    account = ctx.caller
    if account.role is Role.INSTALLER:
        return enterprise_id in account.enterprise_ids or mn in account.terminal_mns
    visible = ctx.visible_enterprise_ids()
    return visible is None or enterprise_id in visible


def _names(ctx: RequestContext) -> dict[str, str]:
    return {e.enterprise_id: e.name for e in ctx.store.registry.list_enterprises(ctx.caller.county_id)}


def _scope(ctx: RequestContext, query: DutyQuery) -> frozenset[str] | None:
    visible = ctx.visible_enterprise_ids()
    if query.enterprise_id is not None:
        if visible is not None and query.enterprise_id not in visible:
            return frozenset()
        return frozenset({query.enterprise_id})
    return visible


@routes.route(
    "GET", "/maintenance/checklist", action="maintenance.read", summary="巡检检查项与时限", response=ChecklistOut,
)  # fmt: skip
def get_checklist(ctx: RequestContext) -> ChecklistOut:
    return ChecklistOut(
        items=[ChecklistItemOut(key=k, title=t) for k, t in checklist().items()],
        inspection_interval_days=INSPECTION_INTERVAL.days,
        repair_limit_hours=int(REPAIR_LIMIT.total_seconds() // 3600),
    )


@routes.route(
    "GET", "/maintenance/inspections", action="maintenance.read",
    summary="各终端巡检到期情况（最急的在前）", query=DutyQuery, response=InspectionsOut,
)  # fmt: skip
def list_inspections(ctx: RequestContext, query: DutyQuery) -> InspectionsOut:
    if query.state is not None and query.state not in {s.value for s in InspectionState}:
        raise errors.invalid("状态只能是 ok、due_soon、overdue、not_started", "state")
    names = _names(ctx)
    found = [
        d
        for d in inspections(ctx.store, ctx.caller.county_id, ctx.now, _scope(ctx, query))
        if _terminal_in_scope(ctx, d.mn, d.enterprise_id)
    ]
    items = [
        InspectionDueOut(
            mn=d.mn,
            enterprise_id=d.enterprise_id,
            enterprise_name=names.get(d.enterprise_id, d.enterprise_id),
            state=d.state,
            state_name=d.state.label,
            last_inspection_at=d.last_inspection_at,
            last_entry_id=d.last_entry_id,
            due_at=d.due_at,
        )  # fmt: skip
        for d in found
        if query.state is None or d.state.value == query.state
    ]
    return InspectionsOut(items=items, counts={s.value: sum(d.state is s for d in found) for s in InspectionState})


@routes.route(
    "GET", "/maintenance/repairs", action="maintenance.read",
    summary="维修任务（近 30 天的故障申报与离线/掉电报警；24 小时倒计时）", query=DutyQuery, response=RepairsOut,
)  # fmt: skip
def list_repairs(ctx: RequestContext, query: DutyQuery) -> RepairsOut:
    if query.state is not None and query.state not in {s.value for s in RepairState}:
        raise errors.invalid("状态只能是 open、overdue、done、done_late、recovered", "state")
    names = _names(ctx)
    found = [
        o
        for o in repair_obligations(ctx.store, ctx.now, _scope(ctx, query))
        if _terminal_in_scope(ctx, o.mn, o.enterprise_id)
    ]
    items = [_repair_out(ctx, o, names) for o in found if query.state is None or o.state.value == query.state]
    return RepairsOut(items=items, counts={s.value: sum(o.state is s for o in found) for s in RepairState})


def _repair_out(ctx: RequestContext, o: RepairObligation, names: dict[str, str]) -> RepairOut:
    return RepairOut(obligation_id=o.id, enterprise_id=o.enterprise_id,
                     enterprise_name=names.get(o.enterprise_id, o.enterprise_id), mn=o.mn, source=o.source,
                     title=o.title, opened_at=o.opened_at, deadline=o.deadline,
                     seconds_left=int((o.deadline - ctx.now).total_seconds()), state=o.state,
                     state_name=o.state.label, repaired_at=o.repaired_at, entry_id=o.entry_id)  # fmt: skip


@routes.route(
    "POST", "/terminals/{mn}/inspections", action="maintenance.write",
    summary="记录一次巡检（逐项检查、现场读数对照平台数据、照片）", body=InspectionIn, response=EntryOut, status=201,
)  # fmt: skip
def add_inspection(ctx: RequestContext, mn: str, body: InspectionIn) -> EntryOut:
    view = _terminal(ctx, mn)
    enterprise_id = view.terminal.enterprise_id
    if enterprise_id is None:
        raise errors.conflict("终端尚未绑定企业，不能巡检", code="not_bound")
    if not _terminal_in_scope(ctx, mn, enterprise_id):
        raise errors.not_found("终端不存在")
    at = _work_time(ctx, body.at)
    photos = _photos(ctx, enterprise_id, body.photo_ids)
    try:
        entry = record_inspection(ctx.store, mn=mn, by=ctx.caller.id, at=at, now=ctx.now, checklist=body.checklist,
                                  readings=[(r.point_id, r.code, r.value) for r in body.readings],
                                  photo_ids=photos, text=body.text)  # fmt: skip
    except InvalidInputError as exc:
        field = "readings" if "点位" in str(exc) or "读数" in str(exc) else "checklist"
        raise errors.invalid(str(exc), field) from None
    ctx.audit("maintenance", entry.entry_id, enterprise_id=enterprise_id, kind="inspection", mn=mn,
              abnormal=[k for k, ok in entry.checklist.items() if not ok])  # fmt: skip
    return EntryOut.of(entry)


@routes.route(
    "POST", "/maintenance/repairs/{obligation_id}/repair", action="maintenance.write",
    summary="记录维修（处理内容、配件、照片；平台判断终端是否已恢复上线）", body=RepairIn, response=EntryOut,
    status=201,
)  # fmt: skip
def add_repair(ctx: RequestContext, obligation_id: str, body: RepairIn) -> EntryOut:
    if not _OBLIGATION_ID.fullmatch(obligation_id):
        raise errors.not_found("维修任务不存在")
    try:
        obligation = find_obligation(ctx.store, obligation_id, ctx.now)
    except NotFoundError:
        raise errors.not_found("维修任务不存在") from None
    ctx.require_visible(obligation.enterprise_id, "维修任务不存在")
    if not _terminal_in_scope(ctx, obligation.mn, obligation.enterprise_id):
        raise errors.not_found("维修任务不存在")
    at = _work_time(ctx, body.at)
    photos = _photos(ctx, obligation.enterprise_id, body.photo_ids)
    if obligation.state in (RepairState.DONE, RepairState.DONE_LATE):
        raise errors.conflict("该维修任务已有维修记录", code="already_repaired")
    try:
        entry = record_repair(ctx.store, obligation_id=obligation.id, by=ctx.caller.id, at=at, now=ctx.now,
                              text=body.text, parts=body.parts, photo_ids=photos)  # fmt: skip
    except InvalidInputError as exc:
        raise errors.invalid(str(exc), "at" if "时间" in str(exc) else "text") from None
    ctx.audit("maintenance", entry.entry_id, enterprise_id=obligation.enterprise_id, kind="repair",
              obligation=obligation.id, late=entry.at > obligation.deadline, back_online=entry.back_online)  # fmt: skip
    return EntryOut.of(entry)


@routes.route(
    "GET", "/enterprises/{enterprise_id}/service-provider", action="maintenance.read",
    summary="企业的运维单位", response=ProviderOut,
)  # fmt: skip
def get_provider(ctx: RequestContext, enterprise_id: str) -> ProviderOut:
    ctx.enterprise(enterprise_id)
    found = ctx.store.maintenance.provider_for(enterprise_id)
    if found is None:
        raise errors.not_found("该企业尚未指定运维单位")
    return ProviderOut.of(found)


@routes.route(
    "PUT", "/enterprises/{enterprise_id}/service-provider", action="maintenance.provider",
    summary="指定企业的运维单位（大气科、管理员）", body=ProviderIn, response=ProviderOut,
)  # fmt: skip
def put_provider(ctx: RequestContext, enterprise_id: str, body: ProviderIn) -> ProviderOut:
    ctx.enterprise(enterprise_id)
    try:
        provider = ServiceProvider(enterprise_id, body.name.strip(), tuple(dict.fromkeys(body.account_ids)),
                                   ctx.caller.id, ctx.now, phone=body.phone.strip())  # fmt: skip
        set_provider(ctx.store, provider)
    except InvalidInputError as exc:
        field = "phone" if "电话" in str(exc) else "name" if "名称" in str(exc) else "account_ids"
        raise errors.invalid(str(exc), field) from None
    ctx.audit("enterprise", enterprise_id, enterprise_id=enterprise_id, service_provider=provider.name,
              accounts=list(provider.account_ids))  # fmt: skip
    return ProviderOut.of(provider)
