"""The installation campaign: the county's deadlines and progress (per town, per branch, overdue), an
enterprise's campaign file, its steps (installer: survey, installation; 大气科: acceptance, filing, exemption —
each on the file's version), and the bureau's progress sheet as XLSX out and in."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from chalice.app import Response
from pydantic import Field, StringConstraints

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime
from monitoring._time import china_day
from monitoring.campaign.models import Campaign, CampaignFile, Deadlines, StepRecord, SurveyRecord, TrialRun
from monitoring.campaign.progress import GroupProgress, OverdueItem, file_calendar_warning, overdue_for, progress
from monitoring.campaign.service import (
    Actor,
    filing_due,
    load_file,
    network_check,
    record_acceptance,
    record_filing,
    record_installation,
    record_survey,
    restart_trial,
    set_exemption,
)
from monitoring.campaign.sheet import SheetImportError, export_xlsx, import_xlsx
from monitoring.errors import NotFoundError
from monitoring.registry.models import ExemptionReason, InstallStatus
from monitoring.reports.workdays import calendar_warning

routes = ApiBlueprint("campaign")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SHEET = 5 * 1024 * 1024
PhotoId = Annotated[str, StringConstraints(pattern=r"^ph-[0-9a-f]{32}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[^\x00-\x1f]+$")]


def _campaign(ctx: RequestContext) -> Campaign:
    """The county's current campaign (the newest by id)."""
    found = ctx.store.campaign.list_campaigns(ctx.caller.county_id)
    if not found:
        raise errors.not_found("本区县尚无安装活动")
    return found[-1]


def _actor(ctx: RequestContext) -> Actor:
    return Actor(ctx.caller.id, ctx.caller.role.value, ctx.channel, ctx.source_ip, audit=False)  # the route audits


# ---- responses ---------------------------------------------------------------------------------------------------
class DeadlinesOut(ApiModel):
    survey: date = Field(description="勘察截止日（含）")
    network: date = Field(description="安装联网截止日（含）")
    filing: date = Field(description="验收备案截止日（含）")

    @classmethod
    def of(cls, d: Deadlines) -> DeadlinesOut:
        return cls(survey=d.survey, network=d.network, filing=d.filing)


class CampaignOut(ApiModel):
    campaign_id: str
    name: str
    deadlines: DeadlinesOut
    town_deadlines: dict[str, DeadlinesOut] = Field(description="个别镇街的期限（镇街编号 → 期限）")
    trial_workdays: int
    trial_threshold: float = Field(description="试运行每日数据完整率下限（0–1）")
    filing_workdays: int

    @classmethod
    def of(cls, c: Campaign) -> CampaignOut:
        return cls(campaign_id=c.campaign_id, name=c.name, deadlines=DeadlinesOut.of(c.deadlines),
                   town_deadlines={t.town_id: DeadlinesOut.of(t.deadlines) for t in c.town_deadlines},
                   trial_workdays=c.trial_workdays, trial_threshold=c.trial_threshold,
                   filing_workdays=c.filing_workdays)  # fmt: skip


class GroupOut(ApiModel):
    key: str
    name: str
    total: int
    exempt: int
    required: int = Field(description="须安装（总数 − 豁免）")
    reached: dict[InstallStatus, int] = Field(description="已达到各状态的企业数（累计：已备案也计入已联网）")
    overdue: dict[str, int] = Field(description="各步骤逾期企业数：survey / network / filing / filing_limit")
    late_done: dict[str, int] = Field(description="各步骤逾期完成（晚于期限完成）的企业数：survey / network / filing")
    deadlines: DeadlinesOut | None

    @classmethod
    def of(cls, g: GroupProgress) -> GroupOut:
        return cls(key=g.key, name=g.name, total=g.total, exempt=g.exempt, required=g.required,
                   reached=dict(g.reached), overdue=dict(g.overdue), late_done=dict(g.late_done),
                   deadlines=DeadlinesOut.of(g.deadlines) if g.deadlines else None)  # fmt: skip


class OverdueOut(ApiModel):
    enterprise_id: str
    enterprise_name: str
    town_id: str
    branch_id: str
    step: str = Field(description="survey 勘察 / network 安装联网 / filing 验收备案 / filing_limit 验收后备案")
    step_name: str
    due: date
    days_overdue: int
    unit: str = Field(description="工作日（验收后备案）或 日历日（活动期限）")

    @classmethod
    def of(cls, o: OverdueItem) -> OverdueOut:
        return cls(enterprise_id=o.enterprise_id, enterprise_name=o.enterprise_name, town_id=o.town_id,
                   branch_id=o.branch_id, step=o.step, step_name=o.step_label, due=o.due,
                   days_overdue=o.days_overdue, unit="工作日" if o.workdays else "日历日")  # fmt: skip


class ProgressOut(ApiModel):
    campaign: CampaignOut
    today: date = Field(description="北京时间的今天")
    towns: list[GroupOut]
    branches: list[GroupOut]
    overdue: list[OverdueOut] = Field(description="逾期清单（逾期最久的在前）")
    calendar_warning: str | None = Field(description="按工作日计算的逾期所涉年度法定节假日安排未录入时的提示，否则为空")


class SurveyOut(ApiModel):
    at: BeijingTime
    by: str
    facilities: list[str]
    planned_points: list[str]
    photo_ids: list[str]
    remarks: str


class StepOut(ApiModel):
    at: BeijingTime
    by: str
    remarks: str
    photo_ids: list[str]

    @classmethod
    def of(cls, r: StepRecord | None) -> StepOut | None:
        return None if r is None else cls(at=r.at, by=r.by, remarks=r.remarks, photo_ids=list(r.photo_ids))


class TrialDayOut(ApiModel):
    day: date
    completeness: float


class TrialOut(ApiModel):
    started_at: BeijingTime
    outcome: str = Field(description="running 试运行中 / passed 通过 / failed 未通过")
    outcome_name: str
    days: list[TrialDayOut]
    reason: str
    ended_on: date | None

    @classmethod
    def of(cls, t: TrialRun) -> TrialOut:
        return cls(started_at=t.started_at, outcome=t.outcome.value, outcome_name=t.outcome.label,
                   days=[TrialDayOut(day=d.day, completeness=d.completeness) for d in t.days], reason=t.reason,
                   ended_on=t.ended_on)  # fmt: skip


class FilingOut(ApiModel):
    at: BeijingTime
    by: str
    due: date
    late: bool
    remarks: str


class ExemptionOut(ApiModel):
    reason: ExemptionReason
    reason_name: str
    approved_by: str
    approved_at: BeijingTime
    note: str


class LateStepOut(ApiModel):
    step: str = Field(description="survey 勘察 / network 安装联网 / filing 验收备案")
    step_name: str
    due: date = Field(description="该步骤的活动截止日")
    done_on: date = Field(description="实际完成日（北京时间）")
    days_late: int = Field(description="逾期日历日数")


class NetworkOut(ApiModel):
    planned: int = Field(description="勘察拟装点位数")
    registered: int = Field(description="已登记点位数（不含停用）")
    with_data: int = Field(description="已收到数据的登记点位数")
    shortfall: int = Field(description="拟装而未登记的点位数")
    complete: bool = Field(description="是否满足联网条件（每个拟装点位都已登记并收到数据）")
    text: str = Field(description="缺口说明（中文），满足时为空")


class FileOut(ApiModel):
    enterprise_id: str
    enterprise_name: str
    town_id: str
    branch_id: str
    install_status: InstallStatus
    install_status_name: str
    version: int = Field(description="档案版本：步骤操作须带上，别人先改了则 409")
    deadlines: DeadlinesOut
    survey: SurveyOut | None
    installation: StepOut | None
    networked_at: BeijingTime | None
    trial: TrialOut | None
    earlier_trials: list[TrialOut]
    acceptance: StepOut | None
    filing_due: date | None = Field(description="验收后备案截止日（验收后第 5 个工作日）")
    filing: FilingOut | None
    exemption: ExemptionOut | None
    overdue: list[OverdueOut]
    late_steps: list[LateStepOut] = Field(description="逾期完成的步骤（完成时记录）")
    network: NetworkOut | None = Field(description="联网条件（已勘察、已安装时）：拟装点位与已登记、已收到数据的点位")
    calendar_warning: str | None = Field(
        description="所涉年度的法定节假日安排未录入时的提示（按周一至周五计算工作日），否则为空"
    )


def _file_out(ctx: RequestContext, campaign: Campaign, enterprise_id: str) -> FileOut:
    e = ctx.enterprise(enterprise_id)
    f: CampaignFile = load_file(ctx.store, campaign, enterprise_id)
    s, ex = f.survey, e.exemption
    today = china_day(ctx.now)
    net = None
    if ex is None and e.install_status in (InstallStatus.SURVEYED, InstallStatus.INSTALLED):
        c = network_check(ctx.store, f, enterprise_id, ctx.now)
        net = NetworkOut(planned=c.planned, registered=c.registered, with_data=c.with_data, shortfall=c.shortfall,
                         complete=c.complete, text=c.text)  # fmt: skip
    return FileOut(
        enterprise_id=e.enterprise_id, enterprise_name=e.name, town_id=e.town_id, branch_id=e.branch_id,
        install_status=e.install_status, install_status_name=e.install_status.label, version=f.version,
        deadlines=DeadlinesOut.of(campaign.deadlines_for(e.town_id)),
        survey=SurveyOut(at=s.at, by=s.by, facilities=list(s.facilities), planned_points=list(s.planned_points),
                         photo_ids=list(s.photo_ids), remarks=s.remarks) if s else None,
        installation=StepOut.of(f.installation), networked_at=f.networked_at,
        trial=TrialOut.of(f.trial) if f.trial else None, earlier_trials=[TrialOut.of(t) for t in f.trials[:-1]],
        acceptance=StepOut.of(f.acceptance),
        filing_due=filing_due(campaign, f.acceptance.at) if f.acceptance else None,
        filing=FilingOut(at=f.filing.at, by=f.filing.by, due=f.filing.due, late=f.filing.late,
                         remarks=f.filing.remarks) if f.filing else None,
        exemption=ExemptionOut(reason=ex.reason, reason_name=ex.reason.label, approved_by=ex.approved_by,
                               approved_at=ex.approved_at, note=ex.note) if ex else None,
        overdue=[OverdueOut.of(o) for o in overdue_for(campaign, e, f, today)],
        late_steps=[LateStepOut(step=x.step.value, step_name=x.step.label, due=x.due, done_on=x.done_on,
                                days_late=x.days) for x in f.late_steps],
        network=net, calendar_warning=file_calendar_warning(campaign, e.install_status, f, today),
    )  # fmt: skip


# ---- reads -------------------------------------------------------------------------------------------------------
@routes.route("GET", "/campaign", action="campaign.read", summary="本区县的安装活动与各步骤期限", response=CampaignOut)
def get_campaign(ctx: RequestContext) -> CampaignOut:
    return CampaignOut.of(_campaign(ctx))


@routes.route(
    "GET", "/campaign/progress", action="campaign.read", response=ProgressOut,
    summary="安装进度：按镇街、按执法局对照期限的漏斗，以及逾期清单（仅本人范围内的企业）",
)  # fmt: skip
def get_progress(ctx: RequestContext) -> ProgressOut:
    campaign = _campaign(ctx)
    registry = ctx.store.registry
    visible = ctx.visible_enterprise_ids()
    enterprises = [
        e for e in registry.list_enterprises(campaign.county_id) if visible is None or e.enterprise_id in visible
    ]
    files = {f.enterprise_id: f for f in ctx.store.campaign.list_files(campaign.campaign_id)}
    today = china_day(ctx.now)
    towns, branches, overdue = progress(
        campaign, enterprises, files, today,
        town_names={t.town_id: t.name for t in registry.list_towns(campaign.county_id)},
        branch_names={b.branch_id: b.name for b in registry.list_branches(campaign.county_id)},
    )  # fmt: skip
    return ProgressOut(campaign=CampaignOut.of(campaign), today=today, towns=[GroupOut.of(g) for g in towns],
                       branches=[GroupOut.of(g) for g in branches],
                       overdue=[OverdueOut.of(o) for o in overdue],
                       calendar_warning=calendar_warning(
                           [d for o in overdue if o.workdays for d in (o.due, today)]))  # fmt: skip


@routes.route(
    "GET", "/enterprises/{enterprise_id}/campaign", action="campaign.read", response=FileOut,
    summary="企业的安装档案：各步骤记录、试运行、验收、备案、豁免与逾期",
)  # fmt: skip
def get_file(ctx: RequestContext, enterprise_id: str) -> FileOut:
    return _file_out(ctx, _campaign(ctx), enterprise_id)


# ---- steps ---------------------------------------------------------------------------------------------------------
class Versioned(ApiModel):
    version: int = Field(ge=0, description="所看到的档案版本（GET 返回的 version）")


class SurveyIn(Versioned):
    at: datetime | None = Field(None, description="勘察时间（带时区），默认现在")
    facilities: list[Name] = Field(min_length=1, max_length=60, description="勘察到的产污、治污设施")
    planned_points: list[Name] = Field(min_length=1, max_length=60, description="拟安装的监测点位")
    photo_ids: list[PhotoId] = Field(default_factory=list, max_length=9)
    remarks: str = Field("", max_length=1000)


class StepIn(Versioned):
    at: datetime | None = Field(None, description="完成时间（带时区），默认现在")
    remarks: str = Field("", max_length=1000)
    photo_ids: list[PhotoId] = Field(default_factory=list, max_length=9)


class AcceptanceIn(StepIn):
    by: Name | None = Field(None, description="验收组织人（默认当前账号）")


class ExemptionIn(ApiModel):
    reason: ExemptionReason = Field(
        description="long_term_shutdown 长期停产 / to_be_closed 拟关闭 / unsafe 安全条件不允许"
    )
    approver: Name = Field(description="批准人")
    note: str = Field("", max_length=200)


def _at(ctx: RequestContext, at: datetime | None) -> datetime:
    value = at or ctx.now
    if value.tzinfo is None:
        raise errors.invalid("时间须带时区", "at")
    if value > ctx.now:
        raise errors.invalid("时间不能晚于现在", "at")
    return value


def _photos(ctx: RequestContext, enterprise_id: str, photo_ids: list[str]) -> tuple[str, ...]:
    for i, photo_id in enumerate(photo_ids):
        try:
            owner = ctx.store.photos.get_photo(photo_id).enterprise_id
        except NotFoundError:
            owner = None
        if owner != enterprise_id:
            raise errors.invalid("照片不存在或不属于该企业", f"photo_ids.{i}", "photo_invalid")
    return tuple(dict.fromkeys(photo_ids))


@routes.route(
    "POST", "/enterprises/{enterprise_id}/campaign/survey", action="campaign.survey", body=SurveyIn,
    response=FileOut, summary="记录点位勘查（待勘察 → 已勘察）",
)  # fmt: skip
def post_survey(ctx: RequestContext, enterprise_id: str, body: SurveyIn) -> FileOut:
    campaign = _campaign(ctx)
    ctx.enterprise(enterprise_id)
    survey = SurveyRecord(_at(ctx, body.at), ctx.caller.id, tuple(body.facilities), tuple(body.planned_points),
                          _photos(ctx, enterprise_id, body.photo_ids), body.remarks)  # fmt: skip
    record_survey(ctx.store, campaign, enterprise_id, survey, actor=_actor(ctx), now=ctx.now,
                  expected_version=body.version)  # fmt: skip
    ctx.audit("campaign_file", enterprise_id, enterprise_id=enterprise_id, step="survey")
    return _file_out(ctx, campaign, enterprise_id)


@routes.route(
    "POST", "/enterprises/{enterprise_id}/campaign/installation", action="campaign.install", body=StepIn,
    response=FileOut, summary="记录现场安装完成（已勘察 → 已安装）",
)  # fmt: skip
def post_installation(ctx: RequestContext, enterprise_id: str, body: StepIn) -> FileOut:
    campaign = _campaign(ctx)
    ctx.enterprise(enterprise_id)
    record = StepRecord(_at(ctx, body.at), ctx.caller.id, body.remarks, _photos(ctx, enterprise_id, body.photo_ids))
    record_installation(ctx.store, campaign, enterprise_id, record, actor=_actor(ctx), now=ctx.now,
                        expected_version=body.version)  # fmt: skip
    ctx.audit("campaign_file", enterprise_id, enterprise_id=enterprise_id, step="installation")
    return _file_out(ctx, campaign, enterprise_id)


@routes.route(
    "POST", "/enterprises/{enterprise_id}/campaign/trial-restart", action="campaign.install", body=Versioned,
    response=FileOut, summary="试运行未通过、故障排除后重新开始试运行",
)  # fmt: skip
def post_trial_restart(ctx: RequestContext, enterprise_id: str, body: Versioned) -> FileOut:
    campaign = _campaign(ctx)
    ctx.enterprise(enterprise_id)
    restart_trial(ctx.store, campaign, enterprise_id, actor=_actor(ctx), now=ctx.now, expected_version=body.version)
    ctx.audit("campaign_file", enterprise_id, enterprise_id=enterprise_id, step="trial_restart")
    return _file_out(ctx, campaign, enterprise_id)


@routes.route(
    "POST", "/enterprises/{enterprise_id}/campaign/acceptance", action="campaign.accept", body=AcceptanceIn,
    response=FileOut, summary="记录验收（试运行通过后；→ 已验收）",
)  # fmt: skip
def post_acceptance(ctx: RequestContext, enterprise_id: str, body: AcceptanceIn) -> FileOut:
    campaign = _campaign(ctx)
    ctx.enterprise(enterprise_id)
    record = StepRecord(_at(ctx, body.at), body.by or ctx.caller.id, body.remarks,
                        _photos(ctx, enterprise_id, body.photo_ids))  # fmt: skip
    record_acceptance(ctx.store, campaign, enterprise_id, record, actor=_actor(ctx), now=ctx.now,
                      expected_version=body.version)  # fmt: skip
    ctx.audit("campaign_file", enterprise_id, enterprise_id=enterprise_id, step="acceptance", by=record.by)
    return _file_out(ctx, campaign, enterprise_id)


@routes.route(
    "POST", "/enterprises/{enterprise_id}/campaign/filing", action="campaign.accept", body=StepIn,
    response=FileOut, summary="记录验收备案（→ 已备案；验收后超过 5 个工作日标记逾期）",
)  # fmt: skip
def post_filing(ctx: RequestContext, enterprise_id: str, body: StepIn) -> FileOut:
    campaign = _campaign(ctx)
    ctx.enterprise(enterprise_id)
    done = record_filing(ctx.store, campaign, enterprise_id, at=_at(ctx, body.at), by=ctx.caller.id,
                         remarks=body.remarks, actor=_actor(ctx), now=ctx.now,
                         expected_version=body.version)  # fmt: skip
    late = done.filing.late if done.filing else False
    ctx.audit("campaign_file", enterprise_id, enterprise_id=enterprise_id, step="filing", late=late)
    return _file_out(ctx, campaign, enterprise_id)


@routes.route(
    "PUT", "/enterprises/{enterprise_id}/campaign/exemption", action="campaign.exempt", body=ExemptionIn,
    response=FileOut, summary="豁免（免装）：原因与批准人",
)  # fmt: skip
def put_exemption(ctx: RequestContext, enterprise_id: str, body: ExemptionIn) -> FileOut:
    campaign = _campaign(ctx)
    ctx.enterprise(enterprise_id)
    set_exemption(ctx.store, enterprise_id, body.reason, approver=body.approver, note=body.note.strip(),
                  actor=_actor(ctx), now=ctx.now)  # fmt: skip
    ctx.audit("campaign_file", enterprise_id, enterprise_id=enterprise_id, step="exempt", reason=body.reason.value,
              approver=body.approver)  # fmt: skip
    return _file_out(ctx, campaign, enterprise_id)


@routes.route(
    "DELETE", "/enterprises/{enterprise_id}/campaign/exemption", action="campaign.exempt", response=FileOut,
    summary="撤销豁免",
)  # fmt: skip
def delete_exemption(ctx: RequestContext, enterprise_id: str) -> FileOut:
    campaign = _campaign(ctx)
    ctx.enterprise(enterprise_id)
    set_exemption(ctx.store, enterprise_id, None, approver="", actor=_actor(ctx), now=ctx.now)
    ctx.audit("campaign_file", enterprise_id, enterprise_id=enterprise_id, step="exemption_revoke")
    return _file_out(ctx, campaign, enterprise_id)


# ---- the progress sheet --------------------------------------------------------------------------------------------
@routes.route(
    "GET", "/campaign/progress.xlsx", action="campaign.export", response_media_type=XLSX,
    summary="导出安装进度表（XLSX；仅本人范围内的企业）",
)  # fmt: skip
def get_sheet(ctx: RequestContext) -> Response:
    campaign = _campaign(ctx)
    data = export_xlsx(ctx.store, campaign, only=ctx.visible_enterprise_ids())
    name = f"安装进度-{campaign.campaign_id}-{china_day(ctx.now).isoformat()}.xlsx"
    disposition = f"attachment; filename=\"campaign-progress.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(body=data, status_code=200, headers={"Content-Type": XLSX, "Content-Disposition": disposition})


class ImportOut(ApiModel):
    rows: int
    accepted: list[str]
    filed: list[str]
    exempted: list[str]
    unchanged: int


@routes.route(
    "POST", "/campaign/progress.xlsx", action="campaign.import", raw_body_types=(XLSX,), max_body=MAX_SHEET,
    response=ImportOut, summary="导入安装进度表（验收日期、备案日期、豁免；有任一错误则全部不导入）",
    description="400 sheet_invalid lists every problem (row and column) in the message; nothing is applied.",
)  # fmt: skip
def post_sheet(ctx: RequestContext, body: bytes) -> ImportOut:
    campaign = _campaign(ctx)
    try:
        # each enterprise's change gets its own audit record (a sheet may touch hundreds); the route's holds counts
        actor = dataclasses.replace(_actor(ctx), audit=True)
        done = import_xlsx(ctx.store, campaign, body, actor=actor, now=ctx.now, clerk=ctx.caller.id)
    except SheetImportError as exc:
        first = exc.errors[0] if exc.errors else None
        raise errors.invalid(str(exc), f"row {first.row}: {first.column}" if first else None, "sheet_invalid") from None
    ctx.audit("campaign", campaign.campaign_id, rows=done.rows, accepted=len(done.accepted), filed=len(done.filed),
              exempted=len(done.exempted))  # fmt: skip
    return ImportOut(rows=done.rows, accepted=done.accepted, filed=done.filed, exempted=done.exempted,
                     unchanged=done.unchanged)  # fmt: skip
