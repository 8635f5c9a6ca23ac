"""Bind a terminal channel to a point of an enterprise (the installer's scan on site), registering the terminal
when it is new. The point's version guards against two installers at once; taking a point from another
terminal happens only when asked for (`rebind`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from monitoring.clock import Clock
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.ingest.redecode import redecode_archived
from monitoring.profiles.loader import DEFAULT_PROFILE_ID
from monitoring.profiles.models import Profile
from monitoring.registry.models import MonitoringPoint, PointStatus, check_mn
from monitoring.registry.terminal import Terminal, new_terminal
from monitoring.storage.ports import RegistryRepository, Store

# A terminal wired and bound the same day has a few hundred early frames (the listener keeps at most 120 an hour
# of an unregistered MN); decoding them at binding time takes well under a second. Longer chains are left out.
EARLY_FRAMES_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class BindRequest:
    mn: str
    point_id: str
    point_version: int  # the version the installer saw; a stale one is a conflict
    channel: str = ""
    ct_ratio: float | None = None  # None keeps the point's ratio
    pt_ratio: float | None = None
    password: str | None = None  # required when the terminal is not registered yet
    rebind: bool = False  # take the point from the terminal bound to it now


@dataclass(frozen=True, slots=True)
class BindResult:
    point: MonitoringPoint
    terminal: Terminal
    created_terminal: bool
    previous_mn: str | None  # the terminal the point was bound to before, if any


def bind_terminal(registry: RegistryRepository, request: BindRequest, *, county_id: str) -> BindResult:
    """Bind `request.mn` (channel, CT/PT ratio) to the point; ConflictError on a stale version, a point held by
    another terminal (unless `rebind`), a channel already used on that terminal, or a terminal of another
    enterprise. Registers the terminal first when it is new (a password is then required)."""
    check_mn(request.mn)
    point = registry.get_point(request.point_id)
    if point.version != request.point_version:
        raise ConflictError("点位已被他人修改，请刷新后重试")
    enterprise = registry.get_enterprise(point.enterprise_id)
    if enterprise.county_id != county_id:
        raise InvalidInputError("点位不属于本区县")
    previous = point.mn
    if previous is not None and (previous, point.channel) != (request.mn, request.channel) and not request.rebind:
        raise ConflictError(f"点位已绑定终端 {previous}（通道 {point.channel or '-'}），如需更换请选择重新绑定")
    for other in registry.points_for_mn(request.mn):
        if (
            other.point_id != point.point_id
            and other.channel == request.channel
            and other.status is not (PointStatus.DISABLED)
        ):
            raise ConflictError(f"终端 {request.mn} 的通道 {request.channel or '-'} 已用于点位 {other.point_code}")
    bound = dataclasses.replace(
        point,
        mn=request.mn,
        channel=request.channel,
        ct_ratio=point.ct_ratio if request.ct_ratio is None else request.ct_ratio,
        pt_ratio=point.pt_ratio if request.pt_ratio is None else request.pt_ratio,
    )  # validated here: channel alphabet, ratio ranges (InvalidInputError)
    terminal = registry.find_terminal(request.mn)
    created = terminal is None
    if terminal is None:
        if not request.password:
            raise InvalidInputError("新终端须填写终端密码（PW）")
        terminal = new_terminal(request.mn, county_id, request.password, enterprise_id=enterprise.enterprise_id)
    else:
        if terminal.county_id != county_id:
            raise InvalidInputError(f"终端 {request.mn} 属于其他区县，不能绑定")
        if terminal.enterprise_id not in (None, enterprise.enterprise_id):
            raise ConflictError(f"终端 {request.mn} 已属于其他企业，请先解除其原有绑定")
        if request.password:
            raise InvalidInputError("终端已登记，修改密码请下发“修改终端密码”指令")
    with registry.batch():  # sqlite: one transaction for the terminal and the point
        if created or terminal.enterprise_id is None:
            terminal = registry.put_terminal(dataclasses.replace(terminal, enterprise_id=enterprise.enterprise_id))
        point = registry.put_point(bound)
    return BindResult(point, terminal, created, previous if previous != request.mn else None)


def decode_early_frames(
    store: Store, mn: str, clock: Clock, profiles: Mapping[str, Profile], *, limit: int = EARLY_FRAMES_LIMIT
) -> int | None:
    """Turn what a newly registered terminal sent before (archived, flagged unregistered) into readings, when its
    PW matches the registered password (`redecode_archived`); the number of frames that became readings, or None
    when its chain is longer than `limit` or no default profile is at hand (then left to a run of
    `redecode_archived` apart). Idempotent."""
    if DEFAULT_PROFILE_ID not in profiles:
        return None
    head = store.archive.head(mn)
    if head is None:
        return 0
    if head.seq > limit:
        return None
    return redecode_archived(mn, store, clock, profiles).outcomes.get("reading", 0)
