"""Random inspections (双随机): a branch's inspector pool, draws (one per branch and period; a redo needs a reason),
the checks with their status and the inspection record. Branch accounts act for their own branch; the bureau
(大气科) and admins county-wide; town and viewer read within scope. Enterprises never see a draw ahead."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import page_slice
from monitoring.accounts.models import COUNTY_ROLES, Role
from monitoring.errors import NotFoundError
from monitoring.random_checks import service
from monitoring.random_checks.models import (
    MAX_PER_DRAW,
    Check,
    CheckStatus,
    Conclusion,
    Draw,
    Finding,
    FindingItem,
    InspectionRecord,
    period_bounds,
)

routes = ApiBlueprint("random_checks")

Period = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")]
Seed = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{8,64}$")]
PhotoId = Annotated[str, StringConstraints(pattern=r"^ph-[0-9a-f]{32}$")]
# An alarm id is only looked up in the store (never a path): the framework's ALARM_ID without its look-ahead.
AlarmId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:|/-]{0,255}$")]


class Person(ApiModel):
    account_id: str
    display_name: str


class PoolOut(ApiModel):
    branch_id: str
    branch_name: str
    inspectors: list[Person]
    version: int = Field(description="修改时带回；0 表示尚未设置")
    updated_at: BeijingTime | None


class PoolIn(ApiModel):
    account_ids: list[Id] = Field(max_length=100, description="本分局执法人员账号（每次抽查从中随机指派 2 人）")
    version: int = Field(ge=0, description="所读到的版本（首次设置为 0）")


class ExclusionOut(ApiModel):
    enterprise_id: str
    enterprise_name: str
    reason: str


class DrawOut(ApiModel):
    draw_id: str
    branch_id: str
    branch_name: str
    period: str
    period_start: date
    period_end: date
    generation: int = Field(description="第几次抽取；大于 1 为重新抽取")
    n: int
    seed: str = Field(description="随机种子：与候选名单一起可重算抽取结果")
    algorithm: str = Field(description="sha256-rank-v1：按 SHA-256(种子|企业标识) 由小到大取前 N 家")
    candidate_count: int
    candidates: list[str] = Field(description="候选企业（排序后）；仅全县角色和本分局可见")
    excluded: list[ExclusionOut] = Field(description="排除的企业及原因（如豁免）；仅全县角色和本分局可见")
    pool: list[Person]
    drawn: list[str] = Field(description="抽中企业，按抽取顺序")
    drawn_at: BeijingTime
    drawn_by: str
    reason: str = Field(description="重新抽取的理由")
    supersedes: str
    superseded_by: str = Field(description="非空表示本批次已重新抽取（作废）")
    counts: dict[str, int] = Field(description="各状态任务数：pending / done / overdue / void")


class FindingOut(ApiModel):
    item: FindingItem
    item_name: str
    ok: bool
    note: str


class RecordOut(ApiModel):
    conclusion: Conclusion
    conclusion_name: str
    findings: list[FindingOut]
    text: str
    photo_ids: list[str]
    alarm_ids: list[str] = Field(description="检查时查看的本企业报警")
    inspectors: list[Person]
    inspected_at: BeijingTime
    recorded_by: str
    recorded_at: BeijingTime


class RandomCheckOut(ApiModel):
    check_id: str
    draw_id: str
    branch_id: str
    period: str
    period_end: date
    enterprise_id: str
    enterprise_name: str
    inspectors: list[Person]
    status: CheckStatus = Field(description="pending 待检查 / done 已检查 / overdue 逾期 / void 已作废")
    status_name: str
    late: bool = Field(description="周期结束后才完成检查")
    record: RecordOut | None


class DrawDetailOut(ApiModel):
    draw: DrawOut
    checks: list[RandomCheckOut]


class DrawIn(ApiModel):
    branch_id: Id
    period: Period = Field(description="2026-12（月）或 2026-Q4（季度）")
    n: int = Field(ge=1, le=MAX_PER_DRAW, description="抽取企业数（超过候选数时全部抽取）")
    seed: Seed | None = Field(None, description="随机种子，缺省由平台随机生成并记录")


class RedoIn(ApiModel):
    reason: str = Field(min_length=1, max_length=200, description="重新抽取的理由（记入审计）")
    seed: Seed | None = None


class FindingIn(ApiModel):
    item: FindingItem
    ok: bool
    note: str = Field("", max_length=200)


class RecordIn(ApiModel):
    conclusion: Conclusion = Field(
        description="compliant 合规 / issues 存在问题 / not_operating 停产 / unable 无法检查"
    )
    findings: list[FindingIn] = Field(default_factory=list, max_length=18)
    text: str = Field("", max_length=2000)
    photo_ids: list[PhotoId] = Field(default_factory=list, max_length=9, description="本企业已上传的照片")
    alarm_ids: list[AlarmId] = Field(default_factory=list, max_length=50, description="检查时查看的本企业报警")
    inspected_at: BeijingTime | None = Field(None, description="检查时间，默认现在；须在抽取之后")


class ChecksQuery(PageQuery):
    draw_id: Id | None = None
    branch_id: Id | None = None
    period: Period | None = None
    status: CheckStatus | None = None
    mine: bool = Field(False, description="true：只看指派给我的")
    include_void: bool = Field(False, description="true：包括已作废批次的任务")


class DrawsQuery(PageQuery):
    branch_id: Id | None = None
    period: Period | None = None


# ---- scope --------------------------------------------------------------------------------------------------------
def _own_branch(ctx: RequestContext, branch_id: str) -> str:
    """The branch if it exists and the caller acts county-wide or for it (404 otherwise, the same either way)."""
    caller = ctx.caller
    if caller.role not in COUNTY_ROLES and not (caller.role is Role.BRANCH and caller.branch_id == branch_id):
        raise errors.not_found("执法分局不存在", field="branch_id")
    branch = next((b for b in ctx.store.registry.list_branches(caller.county_id) if b.branch_id == branch_id), None)
    if branch is None:
        raise errors.not_found("执法分局不存在", field="branch_id")
    return branch.name


def _full_view(ctx: RequestContext, draw: Draw) -> bool:
    """County roles and the draw's own branch see its inputs (candidates, exclusions); others its visible checks."""
    caller = ctx.caller
    return caller.role in COUNTY_ROLES or (caller.role is Role.BRANCH and caller.branch_id == draw.branch_id)


def _visible_checks(ctx: RequestContext, draw: Draw) -> list[Check]:
    checks = ctx.store.random_checks.checks_of(draw.draw_id)
    if _full_view(ctx, draw):
        return checks
    visible = ctx.visible_enterprise_ids() or frozenset()
    return [c for c in checks if c.enterprise_id in visible]


def _draw(ctx: RequestContext, draw_id: str) -> tuple[Draw, list[Check]]:
    """The draw and the checks the caller may see; 404 when absent or when the caller sees none of it."""
    try:
        draw = ctx.store.random_checks.get_draw(draw_id)
    except NotFoundError:
        raise errors.not_found("抽查批次不存在") from None
    if draw.county_id != ctx.caller.county_id:
        raise errors.not_found("抽查批次不存在")
    checks = _visible_checks(ctx, draw)
    if not _full_view(ctx, draw) and not checks:
        raise errors.not_found("抽查批次不存在")
    return draw, checks


# ---- output -------------------------------------------------------------------------------------------------------
def _people(ctx: RequestContext, ids: tuple[str, ...] | list[str]) -> list[Person]:
    out = []
    for account_id in ids:
        account = ctx.store.accounts.find_account(account_id)
        out.append(Person(account_id=account_id, display_name=account.display_name if account else account_id))
    return out


def _name(ctx: RequestContext, enterprise_id: str) -> str:
    found = ctx.store.registry.find_enterprise(enterprise_id)
    return found.name if found else enterprise_id


def _branch_name(ctx: RequestContext, branch_id: str) -> str:
    return next((b.name for b in ctx.store.registry.list_branches(ctx.caller.county_id) if b.branch_id == branch_id),
                branch_id)  # fmt: skip


def _record_out(ctx: RequestContext, r: InspectionRecord) -> RecordOut:
    return RecordOut(
        conclusion=r.conclusion, conclusion_name=r.conclusion.label,
        findings=[FindingOut(item=f.item, item_name=f.item.label, ok=f.ok, note=f.note) for f in r.findings],
        text=r.text, photo_ids=list(r.photo_ids), alarm_ids=list(r.alarm_ids), inspectors=_people(ctx, r.inspectors),
        inspected_at=r.inspected_at, recorded_by=r.recorded_by, recorded_at=r.recorded_at,
    )  # fmt: skip


def _check_out(ctx: RequestContext, check: Check, draw: Draw) -> RandomCheckOut:
    status = check.status(ctx.now, draw)
    return RandomCheckOut(
        check_id=check.check_id, draw_id=check.draw_id, branch_id=check.branch_id, period=check.period,
        period_end=period_bounds(check.period)[1], enterprise_id=check.enterprise_id,
        enterprise_name=_name(ctx, check.enterprise_id), inspectors=_people(ctx, check.inspectors), status=status,
        status_name=status.label, late=check.late(),
        record=_record_out(ctx, check.record) if check.record else None,
    )  # fmt: skip


def _draw_out(ctx: RequestContext, draw: Draw, checks: list[Check]) -> DrawOut:
    full = _full_view(ctx, draw)
    counts = {s.value: 0 for s in CheckStatus}
    for c in checks:
        counts[c.status(ctx.now, draw).value] += 1
    first, last = period_bounds(draw.period)
    return DrawOut(
        draw_id=draw.draw_id, branch_id=draw.branch_id, branch_name=_branch_name(ctx, draw.branch_id),
        period=draw.period, period_start=first, period_end=last, generation=draw.generation, n=draw.n,
        seed=draw.seed, algorithm=draw.algorithm, candidate_count=len(draw.candidates),
        candidates=list(draw.candidates) if full else [],
        excluded=[ExclusionOut(enterprise_id=x.enterprise_id, enterprise_name=_name(ctx, x.enterprise_id),
                               reason=x.reason) for x in draw.excluded] if full else [],
        pool=_people(ctx, draw.pool) if full else [],
        drawn=list(draw.drawn) if full else [c.enterprise_id for c in checks],
        drawn_at=draw.drawn_at, drawn_by=draw.drawn_by, reason=draw.reason, supersedes=draw.supersedes,
        superseded_by=draw.superseded_by, counts=counts,
    )  # fmt: skip


def _detail(ctx: RequestContext, draw: Draw, checks: list[Check]) -> DrawDetailOut:
    return DrawDetailOut(draw=_draw_out(ctx, draw, checks), checks=[_check_out(ctx, c, draw) for c in checks])


# ---- pools --------------------------------------------------------------------------------------------------------
@routes.route(
    "GET", "/random-checks/pools/{branch_id}", action="random_checks.pool.read",
    summary="分局的双随机检查人员库", response=PoolOut,
)  # fmt: skip
def get_pool(ctx: RequestContext, branch_id: str) -> PoolOut:
    name = _own_branch(ctx, branch_id)
    pool = ctx.store.random_checks.get_pool(ctx.caller.county_id, branch_id)
    return PoolOut(branch_id=branch_id, branch_name=name, inspectors=_people(ctx, pool.account_ids if pool else ()),
                   version=pool.version if pool else 0, updated_at=pool.updated_at if pool else None)  # fmt: skip


@routes.route(
    "PUT", "/random-checks/pools/{branch_id}", action="random_checks.pool.edit",
    summary="设置分局的检查人员库（本分局在用的执法人员账号）", body=PoolIn, response=PoolOut,
)  # fmt: skip
def put_pool(ctx: RequestContext, branch_id: str, body: PoolIn) -> PoolOut:
    name = _own_branch(ctx, branch_id)
    found = ctx.store.random_checks.get_pool(ctx.caller.county_id, branch_id)
    if (found.version if found else 0) != body.version:
        raise errors.conflict()
    pool = service.set_pool(ctx.store, ctx.caller.county_id, branch_id, body.account_ids, by=ctx.caller.id,
                            now=ctx.now)  # fmt: skip
    ctx.audit("random_check_pool", branch_id, accounts=list(pool.account_ids))
    return PoolOut(branch_id=branch_id, branch_name=name, inspectors=_people(ctx, pool.account_ids),
                   version=pool.version, updated_at=pool.updated_at)  # fmt: skip


# ---- draws --------------------------------------------------------------------------------------------------------
@routes.route(
    "GET", "/random-checks/draws", action="random_checks.read", summary="抽查批次（含种子与各状态任务数）",
    query=DrawsQuery, response=Page[DrawOut],
)  # fmt: skip
def list_draws(ctx: RequestContext, query: DrawsQuery) -> Page[DrawOut]:
    found = []
    for draw in ctx.store.random_checks.list_draws(ctx.caller.county_id, branch_id=query.branch_id,
                                                   period=query.period):  # fmt: skip
        checks = _visible_checks(ctx, draw)
        if _full_view(ctx, draw) or checks:
            found.append((draw, checks))
    found.sort(key=lambda dc: (dc[0].period, dc[0].drawn_at, dc[0].draw_id), reverse=True)
    page, cursor = page_slice(found, query)
    return Page[DrawOut](items=[_draw_out(ctx, d, c) for d, c in page], next_cursor=cursor)


@routes.route(
    "POST", "/random-checks/draws", action="random_checks.draw",
    summary="抽取：本分局本周期随机抽取 N 家企业并随机指派 2 名检查人员（每周期一次）", body=DrawIn,
    response=DrawDetailOut, status=201,
)  # fmt: skip
def create_draw(ctx: RequestContext, body: DrawIn) -> DrawDetailOut:
    _own_branch(ctx, body.branch_id)
    draw, checks = service.make_draw(ctx.store, ctx.caller.county_id, body.branch_id, body.period, body.n,
                                     by=ctx.caller.id, now=ctx.now, seed=body.seed)  # fmt: skip
    ctx.audit("random_check_draw", draw.draw_id, **service.draw_audit_detail(draw, checks))
    return _detail(ctx, draw, checks)


@routes.route(
    "GET", "/random-checks/draws/{draw_id}", action="random_checks.read", summary="抽查批次及其任务",
    response=DrawDetailOut,
)  # fmt: skip
def get_draw(ctx: RequestContext, draw_id: str) -> DrawDetailOut:
    draw, checks = _draw(ctx, draw_id)
    return _detail(ctx, draw, checks)


@routes.route(
    "POST", "/random-checks/draws/{draw_id}/redo", action="random_checks.draw",
    summary="重新抽取（须说明理由；原批次作废并保留；已有检查记录的批次不能重抽）", body=RedoIn,
    response=DrawDetailOut, status=201,
)  # fmt: skip
def redo_draw(ctx: RequestContext, draw_id: str, body: RedoIn) -> DrawDetailOut:
    old, _ = _draw(ctx, draw_id)
    _own_branch(ctx, old.branch_id)
    if not body.reason.strip():
        raise errors.invalid("重新抽取必须说明理由", "reason")
    draw, checks = service.redo_draw(ctx.store, draw_id, body.reason, by=ctx.caller.id, now=ctx.now, seed=body.seed)
    ctx.audit("random_check_draw", draw.draw_id, **service.draw_audit_detail(draw, checks))
    return _detail(ctx, draw, checks)


# ---- checks -------------------------------------------------------------------------------------------------------
@routes.route(
    "GET", "/random-checks/checks", action="random_checks.read", summary="抽查任务（mine=true：指派给我的）",
    query=ChecksQuery, response=Page[RandomCheckOut],
)  # fmt: skip
def list_checks(ctx: RequestContext, query: ChecksQuery) -> Page[RandomCheckOut]:
    views = service.checks_view(
        ctx.store, ctx.caller.county_id, branch_id=query.branch_id, period=query.period,
        inspector=ctx.caller.id if query.mine else None, visible=ctx.visible_enterprise_ids(), now=ctx.now,
        include_void=query.include_void or query.status is CheckStatus.VOID,
    )  # fmt: skip
    views = [v for v in views if query.draw_id in (None, v.draw.draw_id) and query.status in (None, v.status)]
    views.sort(key=lambda v: (v.check.period, v.draw.draw_id, v.check.check_id), reverse=True)
    page, cursor = page_slice(views, query)
    return Page[RandomCheckOut](items=[_check_out(ctx, v.check, v.draw) for v in page], next_cursor=cursor)


def _check(ctx: RequestContext, check_id: str) -> tuple[Check, Draw]:
    check = ctx.scoped(lambda: ctx.store.random_checks.get_check(check_id), lambda c: c.enterprise_id,
                       "抽查任务不存在")  # fmt: skip
    if check.county_id != ctx.caller.county_id:
        raise errors.not_found("抽查任务不存在")
    return check, ctx.store.random_checks.get_draw(check.draw_id)


@routes.route(
    "GET", "/random-checks/checks/{check_id}", action="random_checks.read", summary="抽查任务及检查记录",
    response=RandomCheckOut,
)  # fmt: skip
def get_check(ctx: RequestContext, check_id: str) -> RandomCheckOut:
    check, draw = _check(ctx, check_id)
    return _check_out(ctx, check, draw)


@routes.route(
    "POST", "/random-checks/checks/{check_id}/record", action="random_checks.record",
    summary="记录检查（指派的检查人员；只记一次）：结论、检查项目、照片、查看过的报警", body=RecordIn,
    response=RandomCheckOut, status=201,
)  # fmt: skip
def record_check(ctx: RequestContext, check_id: str, body: RecordIn) -> RandomCheckOut:
    check, draw = _check(ctx, check_id)
    at: datetime = body.inspected_at or ctx.now
    done = service.record_inspection(
        ctx.store, check.check_id, conclusion=body.conclusion,
        findings=[Finding(f.item, f.ok, f.note) for f in body.findings], text=body.text, photo_ids=body.photo_ids,
        alarm_ids=body.alarm_ids, inspected_at=at, by=ctx.caller.id, by_admin=ctx.caller.role is Role.ADMIN,
        now=ctx.now,
    )  # fmt: skip
    assert done.record is not None
    ctx.audit("random_check", done.check_id, enterprise_id=done.enterprise_id, conclusion=body.conclusion.value,
              alarm_ids=list(done.record.alarm_ids), photo_ids=list(done.record.photo_ids))  # fmt: skip
    return _check_out(ctx, done, draw)
