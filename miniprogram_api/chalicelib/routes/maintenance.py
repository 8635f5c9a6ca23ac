"""The maintenance log of an enterprise (inspections, repairs, commissioning) and commissioning a terminal: the
server judges the checks from the newest reading, records them and moves installation progress forward."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor
from miniprogram_api.chalicelib.routes.terminals import _terminal
from monitoring.errors import NotFoundError
from monitoring.field.commissioning import commission, latest_commissioning
from monitoring.maintenance.models import (
    CheckResult,
    MaintenanceEntry,
    MaintenanceKind,
    ReadingSeen,
    Verdict,
    new_entry_id,
)
from monitoring.registry.models import InstallStatus

routes = ApiBlueprint("maintenance")

PhotoId = Annotated[str, StringConstraints(pattern=r"^ph-[0-9a-f]{32}$")]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\x00-\x1f]+$")
]


class CheckOut(ApiModel):
    key: str = Field(description="voltage | direction | sequence | gps")
    title: str
    verdict: Verdict = Field(description="pass 通过 / fail 不通过 / unknown 无法判断（不算通过）")
    verdict_name: str
    detail: str
    values: dict[str, float] = Field(description="所判断的数值（电压 V、功率 kW、相角 °、经纬度）")

    @classmethod
    def of(cls, c: CheckResult) -> CheckOut:
        return cls(key=c.key, title=c.title, verdict=c.verdict, verdict_name=c.verdict.label, detail=c.detail,
                   values=dict(c.values))  # fmt: skip


class ReadingSeenOut(ApiModel):
    point_id: str
    code: str = Field(description="数据项，如 p（有功功率）")
    seen: float = Field(description="现场读数")
    platform: float | None = Field(description="记录时平台最新数据；无数据为空")
    platform_at: BeijingTime | None = Field(description="该平台数据的数据时间")

    @classmethod
    def of(cls, r: ReadingSeen) -> ReadingSeenOut:
        return cls(point_id=r.point_id, code=r.code, seen=r.seen, platform=r.platform, platform_at=r.platform_at)


class EntryOut(ApiModel):
    entry_id: str
    enterprise_id: str
    kind: MaintenanceKind
    kind_name: str
    at: BeijingTime = Field(description="作业时间")
    recorded_at: BeijingTime
    by: str = Field(description="记录人账号")
    mn: str
    point_id: str
    items: list[str]
    text: str
    photo_ids: list[str]
    checks: list[CheckOut] = Field(description="调试记录：各项检查结果")
    passed: bool | None = Field(description="调试记录：全部通过")
    checklist: dict[str, bool] = Field(description="巡检记录：检查项 → 正常（true）/异常（false）")
    readings: list[ReadingSeenOut] = Field(description="巡检记录：现场读数与平台最新数据")
    obligation: str = Field(description="维修记录：所处理的维修任务（fault:<申报> 或 alarm:<报警>）")
    parts: list[str] = Field(description="维修记录：更换配件")
    back_online: bool | None = Field(description="维修记录：记录时终端已恢复上线（平台判断）")

    @classmethod
    def of(cls, e: MaintenanceEntry) -> EntryOut:
        return cls(entry_id=e.entry_id, enterprise_id=e.enterprise_id, kind=e.kind, kind_name=e.kind.label, at=e.at,
                   recorded_at=e.recorded_at, by=e.by, mn=e.mn, point_id=e.point_id, items=list(e.items),
                   text=e.text, photo_ids=list(e.photo_ids), checks=[CheckOut.of(c) for c in e.checks],
                   passed=e.passed, checklist=dict(e.checklist), readings=[ReadingSeenOut.of(r) for r in e.readings],
                   obligation=e.obligation, parts=list(e.parts), back_online=e.back_online)  # fmt: skip


class EntryIn(ApiModel):
    kind: MaintenanceKind = Field(description="inspection 巡检 / repair 维修 / other 其他（调试记录由调试接口生成）")
    at: datetime | None = Field(None, description="作业时间（带时区），默认现在；不得晚于现在")
    mn: str | None = Field(None, pattern=r"^[A-Za-z0-9]{1,24}$", description="所维护的终端 MN")
    items: list[ShortText] = Field(default_factory=list, max_length=30, description="检查项目（每项 ≤ 40 字）")
    text: str = Field("", max_length=1000)
    photo_ids: list[PhotoId] = Field(default_factory=list, max_length=9)


class CommissioningIn(ApiModel):
    point_id: Id | None = Field(None, description="要调试的点位，默认终端的第一个点位")
    text: str = Field("", max_length=1000)
    photo_ids: list[PhotoId] = Field(default_factory=list, max_length=9, description="安装照片（本企业已上传的）")


class CommissioningOut(ApiModel):
    entry: EntryOut
    reading_at: BeijingTime | None = Field(description="所判断数据的数据时间；无数据为空")
    install_status_before: InstallStatus
    install_status: InstallStatus = Field(description="全部通过且原为已安装时推进为已联网")


def _photos(ctx: RequestContext, enterprise_id: str, photo_ids: list[str]) -> tuple[str, ...]:
    """Photos cited must be this enterprise's uploads (ids only: nothing else reaches a record)."""
    for i, photo_id in enumerate(photo_ids):
        try:
            owner = ctx.store.photos.get_photo(photo_id).enterprise_id
        except NotFoundError:
            owner = None
        if owner != enterprise_id:
            raise errors.invalid("照片不存在或不属于该企业", f"photo_ids.{i}", "photo_invalid")
    return tuple(dict.fromkeys(photo_ids))


@routes.route(
    "GET", "/enterprises/{enterprise_id}/maintenance-log", action="maintenance.read",
    summary="企业的运维记录（巡检、维修、调试；新的在前）", query=PageQuery, response=Page[EntryOut],
)  # fmt: skip
def list_entries(ctx: RequestContext, enterprise_id: str, query: PageQuery) -> Page[EntryOut]:
    ctx.enterprise(enterprise_id)
    before = None
    if query.cursor:
        got = decode_cursor(query.cursor, keys=("at", "id"))
        try:
            at = datetime.fromisoformat(str(got["at"]))
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:  # a cursor is ours; anything else is refused, never compared
            raise errors.invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
        before = (at, str(got["id"]))
    page = ctx.store.maintenance.entries_for(enterprise_id, limit=query.limit, before=before)
    last = page[-1] if len(page) == query.limit else None
    cursor = encode_cursor({"at": last.at.isoformat(), "id": last.entry_id}) if last else None
    return Page[EntryOut](items=[EntryOut.of(e) for e in page], next_cursor=cursor)


@routes.route(
    "POST", "/enterprises/{enterprise_id}/maintenance-log", action="maintenance.write",
    summary="记一条运维记录", body=EntryIn, response=EntryOut, status=201,
)  # fmt: skip
def add_entry(ctx: RequestContext, enterprise_id: str, body: EntryIn) -> EntryOut:
    ctx.enterprise(enterprise_id)
    if body.kind is MaintenanceKind.COMMISSIONING:
        raise errors.invalid("调试记录请通过终端调试接口生成", "kind")
    at = body.at or ctx.now
    if at.tzinfo is None:
        raise errors.invalid("时间须带时区", "at")
    if at > ctx.now:
        raise errors.invalid("作业时间不能晚于现在", "at")
    if body.mn:
        terminal = ctx.store.registry.find_terminal(body.mn)
        if terminal is None or terminal.enterprise_id != enterprise_id:
            raise errors.invalid("该企业没有这台终端", "mn")
    entry = MaintenanceEntry(
        entry_id=new_entry_id(), enterprise_id=enterprise_id, kind=body.kind, at=at, by=ctx.caller.id,
        recorded_at=ctx.now, mn=body.mn or "", items=tuple(i.strip() for i in body.items), text=body.text,
        photo_ids=_photos(ctx, enterprise_id, body.photo_ids),
    )  # fmt: skip
    ctx.store.maintenance.put_entry(entry)
    ctx.audit("maintenance", entry.entry_id, enterprise_id=enterprise_id, kind=body.kind.value, mn=entry.mn)
    return EntryOut.of(entry)


@routes.route(
    "POST", "/terminals/{mn}/commissioning", action="terminals.commission",
    summary="终端调试：由平台按最新数据判定并记录（全部通过则推进为已联网）",
    body=CommissioningIn, response=CommissioningOut, status=201,
)  # fmt: skip
def run_commissioning(ctx: RequestContext, mn: str, body: CommissioningIn) -> CommissioningOut:
    view = _terminal(ctx, mn)
    enterprise_id = view.terminal.enterprise_id
    if enterprise_id is None or not view.points:
        raise errors.conflict("终端尚未绑定点位，请先绑定再调试", code="not_bound")
    if body.point_id is not None and body.point_id not in {p.point_id for p in view.points}:
        raise errors.invalid("该终端没有这个点位", "point_id")
    done = commission(ctx.store, view.terminal, view.points, point_id=body.point_id, by=ctx.caller.id,
                      photo_ids=_photos(ctx, enterprise_id, body.photo_ids), text=body.text,
                      now=ctx.now)  # fmt: skip
    ctx.audit("terminal", mn, enterprise_id=enterprise_id, commissioning=done.entry.entry_id,
              passed=done.entry.passed, install_status=done.install_after.value,
              checks={c.key: c.verdict.value for c in done.entry.checks})  # fmt: skip
    return CommissioningOut(entry=EntryOut.of(done.entry), reading_at=done.reading_at,
                            install_status_before=done.install_before, install_status=done.install_after)  # fmt: skip


@routes.route(
    "GET", "/terminals/{mn}/commissioning", action="terminals.read", summary="终端最近一次调试记录",
    response=EntryOut,
)  # fmt: skip
def get_commissioning(ctx: RequestContext, mn: str) -> EntryOut:
    view = _terminal(ctx, mn)
    enterprise_id = view.terminal.enterprise_id
    found = latest_commissioning(ctx.store, enterprise_id, mn) if enterprise_id else None
    if found is None:
        raise errors.not_found("该终端尚无调试记录")
    return EntryOut.of(found)
