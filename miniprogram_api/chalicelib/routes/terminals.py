"""Terminals for installers and the bureau: status, unregistered MNs seen recently, binding to a point, commands.

Each route validates, checks the caller's scope (a terminal outside it does not exist), calls monitoring.field.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor, page_slice
from miniprogram_api.chalicelib.wiring import profiles
from monitoring.commands.models import Command, CommandStatus
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.field import commands as field_commands
from monitoring.field.binding import BindRequest, bind_terminal, decode_early_frames
from monitoring.field.commands import STATE_NAMES, STATUS_NAMES, CommandKind, CommandState
from monitoring.field.terminals import TerminalView, Visibility, terminal_view, terminal_views
from monitoring.field.unregistered import recent_unregistered
from monitoring.profiles.loader import ProfileError
from monitoring.registry.models import MonitoringPoint
from monitoring.registry.terminal import Terminal

routes = ApiBlueprint("terminals")
log = logging.getLogger(__name__)


# ---- response models ---------------------------------------------------------------------------------------------
class GpsOut(ApiModel):
    lat: float
    lon: float
    at: BeijingTime


class BoundPointOut(ApiModel):
    point_id: str
    point_code: str
    name: str
    enterprise_id: str
    channel: str = Field(description="终端通道号（HJ 212 设备后缀），单通道终端为空")
    ct_ratio: float
    pt_ratio: float
    status: str
    version: int

    @classmethod
    def of(cls, p: MonitoringPoint) -> BoundPointOut:
        return cls(point_id=p.point_id, point_code=p.point_code, name=p.name, enterprise_id=p.enterprise_id,
                   channel=p.channel, ct_ratio=p.ct_ratio, pt_ratio=p.pt_ratio, status=p.status.value,
                   version=p.version)  # fmt: skip


class TerminalOut(ApiModel):
    mn: str
    enterprise_id: str | None
    enterprise_name: str | None
    online: bool = Field(description="在线：已登记在线且 15 分钟内收到过数据")
    last_frame_at: BeijingTime | None
    last_peer: str
    clock_skew_s: float | None = Field(description="终端时钟减平台时钟（秒）")
    gps: GpsOut | None
    model: str
    firmware: str
    profile: str
    minute_interval_min: int | None
    realtime_interval_s: int | None
    password_change_pending: bool = Field(description="修改密码指令尚未确认（新旧密码均可登录）")
    points: list[BoundPointOut]
    version: int

    @classmethod
    def of(cls, view: TerminalView, now: datetime) -> TerminalOut:
        t: Terminal = view.terminal
        gps = GpsOut(lat=t.gps.lat, lon=t.gps.lon, at=t.gps.at) if t.gps is not None else None
        return cls(mn=t.mn, enterprise_id=t.enterprise_id, enterprise_name=view.enterprise_name,
                   online=view.online_now(now), last_frame_at=t.last_frame_at, last_peer=t.last_peer,
                   clock_skew_s=t.clock_skew_s, gps=gps, model=t.model, firmware=t.firmware, profile=t.profile,
                   minute_interval_min=t.minute_interval_min, realtime_interval_s=t.realtime_interval_s,
                   password_change_pending=t.next_password_hash is not None,
                   points=[BoundPointOut.of(p) for p in view.points], version=t.version)  # fmt: skip


class UnregisteredOut(ApiModel):
    mn: str
    first_seen: BeijingTime
    last_seen: BeijingTime
    frames: int = Field(description="时间窗内存档的报文数")
    peer: str = Field(description="最近一帧的来源地址")
    hours_seen: int


class UnregisteredList(ApiModel):
    since: BeijingTime
    items: list[UnregisteredOut]
    next_cursor: str | None = Field(None, description="下一页的游标；最后一页为空")


class CommandOut(ApiModel):
    command_id: str
    mn: str
    kind: CommandKind | None = Field(description="指令类型；平台自动下发的指令为空")
    kind_name: str
    cn: str
    params: dict[str, str] = Field(description="下发参数（密码以 ****** 显示）")
    state: CommandState
    state_name: str
    status: CommandStatus = Field(description="细分状态")
    status_name: str
    detail: str
    attempts: int
    requested_by: str
    created_at: BeijingTime
    expires_at: BeijingTime
    updated_at: BeijingTime | None
    result: dict[str, Any] = Field(description="终端返回的数据，如 {frames, cp}")

    @classmethod
    def of(cls, c: Command) -> CommandOut:
        kind = field_commands.kind_of(c)
        state = field_commands.state_of(c.status)
        return cls(command_id=c.command_id, mn=c.mn, kind=kind,
                   kind_name=field_commands.KINDS[kind].label if kind is not None else f"CN {c.cn}", cn=c.cn,
                   params=field_commands.shown_params(c), state=state, state_name=STATE_NAMES[state],
                   status=c.status, status_name=STATUS_NAMES[c.status], detail=c.detail, attempts=c.attempts,
                   requested_by=c.requested_by, created_at=c.created_at, expires_at=c.expires_at,
                   updated_at=c.updated_at, result=dict(c.result))  # fmt: skip


# ---- request models ----------------------------------------------------------------------------------------------
class TerminalsQuery(PageQuery):
    enterprise_id: Id | None = Field(None, description="只看该企业的终端")
    online: bool | None = Field(None, description="true 在线 / false 离线")


class UnregisteredQuery(PageQuery):
    days: int = Field(7, ge=1, le=30, description="时间窗（天）")


class BindIn(ApiModel):
    point_id: Id | None = Field(None, description="点位编号；或给 point_code（现场扫码所得的点位编码）")
    point_code: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")
    point_version: int = Field(ge=0, description="所见点位的版本号（过期则 409）")
    channel: str = Field("", pattern=r"^[A-Za-z0-9]{0,8}$", description="终端通道号")
    ct_ratio: float | None = Field(None, gt=0, le=100_000, description="CT 变比，不填则不变")
    pt_ratio: float | None = Field(None, gt=0, le=100_000, description="PT 变比，不填则不变")
    password: str | None = Field(None, min_length=1, max_length=64, description="新终端的访问密码（PW）")
    rebind: bool = Field(False, description="点位已绑定其他终端时，确认改绑")


class BindOut(ApiModel):
    terminal: TerminalOut
    point: BoundPointOut
    created_terminal: bool
    previous_mn: str | None
    early_frames_decoded: int | None = Field(
        description="新登记终端此前上传的报文中转为数据的条数；报文过多时为空（另行补解析）"
    )


class CommandIn(ApiModel):
    kind: CommandKind
    args: dict[str, Any] = Field(default_factory=dict, max_length=4, description="参数，见各指令类型")
    ttl_minutes: int = Field(24 * 60, ge=1, le=72 * 60, description="终端离线时的等待时限（分钟）")


# ---- helpers -----------------------------------------------------------------------------------------------------
def _visibility(ctx: RequestContext) -> Visibility:
    caller = ctx.caller
    return Visibility(caller.county_id, ctx.visible_enterprise_ids(), frozenset(caller.terminal_mns))


def _terminal(ctx: RequestContext, mn: str) -> TerminalView:
    if len(mn) > 24 or not mn.isalnum():
        raise errors.not_found("终端不存在")
    try:
        return terminal_view(ctx.store.registry, mn, _visibility(ctx))
    except NotFoundError:
        raise errors.not_found("终端不存在") from None


def _point(ctx: RequestContext, body: BindIn) -> MonitoringPoint:
    """The point named by id or by its code, if it exists and is in scope (else 404: the same answer)."""
    if (body.point_id is None) == (body.point_code is None):
        raise errors.invalid("须给出 point_id 或 point_code 之一", "point_id")
    registry = ctx.store.registry
    visible = ctx.visible_enterprise_ids()
    if body.point_id is not None:
        try:
            found = [registry.get_point(body.point_id)]
        except NotFoundError:
            found = []
    else:
        found = registry.find_points_by_code(body.point_code or "")
    found = [p for p in found if visible is None or p.enterprise_id in visible]
    if len(found) != 1:  # none, or (against the registry's rule) a code used twice: the installer must pick by id
        raise errors.not_found("点位不存在", field="point_id" if body.point_id is not None else "point_code")
    return found[0]


# ---- routes ------------------------------------------------------------------------------------------------------
@routes.route(
    "GET", "/terminals", action="terminals.read", summary="终端列表（在线、最后数据、绑定点位）",
    query=TerminalsQuery, response=Page[TerminalOut],
)  # fmt: skip
def list_terminals(ctx: RequestContext, query: TerminalsQuery) -> Page[TerminalOut]:
    after = None
    if query.cursor:
        value = decode_cursor(query.cursor, keys=("mn",))["mn"]
        if not isinstance(value, str):
            raise errors.invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
        after = value
    if query.enterprise_id is not None:
        ctx.require_visible(query.enterprise_id, "企业不存在")
    views, last = terminal_views(ctx.store.registry, _visibility(ctx), enterprise_id=query.enterprise_id,
                                 online=query.online, now=ctx.now, after=after, limit=query.limit)  # fmt: skip
    return Page[TerminalOut](
        items=[TerminalOut.of(v, ctx.now) for v in views], next_cursor=encode_cursor({"mn": last}) if last else None
    )


@routes.route(
    "GET", "/unregistered-terminals", action="terminals.unregistered", summary="近期接入的未登记终端（MN）",
    query=UnregisteredQuery, response=UnregisteredList,
)  # fmt: skip
def list_unregistered(ctx: RequestContext, query: UnregisteredQuery) -> UnregisteredList:
    window = timedelta(days=query.days)
    found = recent_unregistered(ctx.store.events, ctx.store.archive, ctx.store.registry, now=ctx.now, window=window)
    items = [UnregisteredOut(mn=u.mn, first_seen=u.first_seen, last_seen=u.last_seen, frames=u.frames, peer=u.peer,
                             hours_seen=u.hours_seen) for u in found]  # fmt: skip
    page, cursor = page_slice(items, query)  # most recently seen first, as recent_unregistered orders them
    return UnregisteredList(since=ctx.now - window, items=page, next_cursor=cursor)


@routes.route("GET", "/terminals/{mn}", action="terminals.read", summary="终端详情", response=TerminalOut)
def get_terminal(ctx: RequestContext, mn: str) -> TerminalOut:
    return TerminalOut.of(_terminal(ctx, mn), ctx.now)


@routes.route(
    "POST", "/terminals/{mn}/binding", action="terminals.bind", summary="绑定终端到点位（新终端同时登记）",
    body=BindIn, response=BindOut,
)  # fmt: skip
def bind(ctx: RequestContext, mn: str, body: BindIn) -> BindOut:
    registry = ctx.store.registry
    target = _point(ctx, body)
    existing = registry.find_terminal(mn)
    if existing is not None and not _visibility(ctx).sees(existing) and existing.enterprise_id is not None:
        raise errors.not_found("终端不存在")  # another enterprise's terminal is not revealed
    request = BindRequest(mn=mn, point_id=target.point_id, point_version=body.point_version, channel=body.channel,
                          ct_ratio=body.ct_ratio, pt_ratio=body.pt_ratio, password=body.password,
                          rebind=body.rebind)  # fmt: skip
    result = bind_terminal(registry, request, county_id=ctx.caller.county_id)
    early: int | None = 0
    if result.created_terminal:  # what it sent while unregistered becomes data, with the password now on file
        try:
            loaded = profiles(ctx.services)
        except ProfileError as exc:  # no profiles where this API runs: the binding stands, early data waits
            log.warning("profiles not loaded", extra={"fields": {"error": str(exc)}})
            loaded = {}
        early = decode_early_frames(ctx.store, mn, ctx.services.clock, loaded)
    ctx.audit("terminal", mn, enterprise_id=target.enterprise_id, point_id=target.point_id, channel=body.channel,
              rebind=body.rebind, created_terminal=result.created_terminal, previous_mn=result.previous_mn)  # fmt: skip
    view = terminal_view(registry, mn, Visibility(ctx.caller.county_id, None))
    return BindOut(terminal=TerminalOut.of(view, ctx.now), point=BoundPointOut.of(result.point),
                   created_terminal=result.created_terminal, previous_mn=result.previous_mn,
                   early_frames_decoded=early)  # fmt: skip


@routes.route(
    "GET", "/terminals/{mn}/commands", action="terminals.read", summary="终端的指令记录（新的在前）",
    query=PageQuery, response=Page[CommandOut],
)  # fmt: skip
def list_commands(ctx: RequestContext, mn: str, query: PageQuery) -> Page[CommandOut]:
    _terminal(ctx, mn)
    after = None
    if query.cursor:
        value = decode_cursor(query.cursor, keys=("after",))["after"]
        if not isinstance(value, str):
            raise errors.invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
        after = value
    try:
        page, last = field_commands.commands_page(ctx.store.commands, mn, after=after, limit=query.limit)
    except InvalidInputError:
        raise errors.invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor") from None
    return Page[CommandOut](
        items=[CommandOut.of(c) for c in page], next_cursor=encode_cursor({"after": last}) if last else None
    )


@routes.route(
    "POST", "/terminals/{mn}/commands", action="terminals.command", summary="向终端下发指令",
    body=CommandIn, response=CommandOut, status=201,
    description="kind: " + "; ".join(f"{k.value} ({s.label}, CN {s.cn}; args {s.args})"
                                      for k, s in field_commands.KINDS.items()),
)  # fmt: skip
def send_command(ctx: RequestContext, mn: str, body: CommandIn) -> CommandOut:
    view = _terminal(ctx, mn)
    args = dict(body.args)
    if body.kind is CommandKind.SET_TIME and isinstance(args.get("system_time"), str):
        try:
            args["system_time"] = datetime.fromisoformat(args["system_time"])
        except ValueError:
            raise errors.invalid("参数 system_time 须为 ISO 8601 时间（带时区）", "args.system_time") from None
    command = field_commands.create_command(ctx.store.commands, ctx.store.registry, mn=mn, kind=body.kind, args=args,
                                            requested_by=ctx.caller.id, now=ctx.now,
                                            ttl=timedelta(minutes=body.ttl_minutes))  # fmt: skip
    ctx.audit("command", command.command_id, enterprise_id=view.terminal.enterprise_id, mn=mn, kind=body.kind.value,
              cn=command.cn, params=field_commands.shown_params(command))  # fmt: skip
    return CommandOut.of(command)


@routes.route("GET", "/commands/{command_id}", action="terminals.read", summary="指令状态", response=CommandOut)
def get_command(ctx: RequestContext, command_id: str) -> CommandOut:
    try:
        found = ctx.store.commands.get(command_id)
    except NotFoundError:
        raise errors.not_found("指令不存在") from None
    try:
        _terminal(ctx, found.mn)
    except errors.ApiError:
        raise errors.not_found("指令不存在") from None
    return CommandOut.of(found)
