"""Commissioning commands people may send (a catalogue of HJ 212 requests), queued for the listener to deliver.

Each kind names its CN and checks its arguments; the statuses are shown in the six words of issue 14.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hj212 import CN
from hj212.commands import MIN_INTERVALS
from hj212.qn import format_qn
from monitoring._time import CHINA, require_utc
from monitoring.commands.models import Command, CommandStatus
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.registry.terminal import Terminal, hash_password, verify_password
from monitoring.storage.ports import CommandsRepository, RegistryRepository

MAX_MINUTES_PULL = 60
DEFAULT_TTL = timedelta(hours=24)
MIN_TTL, MAX_TTL = timedelta(minutes=1), timedelta(hours=72)
SECRET_PARAMS = frozenset({"NewPW"})  # never shown back to anyone


def _no_args(args: Mapping[str, object]) -> dict[str, str]:
    if args:
        raise InvalidInputError(f"该指令不需要参数: {', '.join(sorted(args))}")
    return {}


def _int_arg(args: Mapping[str, object], name: str, low: int, high: int) -> int:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"参数 {name} 必须为整数")
    if not low <= value <= high:
        raise InvalidInputError(f"参数 {name} 必须在 {low}–{high} 之间")
    return value


def _only(args: Mapping[str, object], *names: str) -> None:
    extra = sorted(set(args) - set(names))
    if extra:
        raise InvalidInputError(f"未知参数: {', '.join(extra)}")


def _set_time(args: Mapping[str, object]) -> dict[str, str]:
    _only(args, "system_time")
    value = args.get("system_time")
    if value is None:
        return {}  # the listener stamps platform time when it sends the request (not when it was queued)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInputError("参数 system_time 必须是带时区的时间（如 2026-12-06T10:00:00+08:00）")
    return {"SystemTime": value.astimezone(CHINA).strftime("%Y%m%d%H%M%S")}


def _rtd_interval(args: Mapping[str, object]) -> dict[str, str]:
    _only(args, "seconds")
    return {"RtdInterval": str(_int_arg(args, "seconds", 30, 3600))}


def _min_interval(args: Mapping[str, object]) -> dict[str, str]:
    _only(args, "minutes")
    minutes = _int_arg(args, "minutes", 1, 30)
    if minutes not in MIN_INTERVALS:
        raise InvalidInputError(f"分钟数据间隔只能是 {'、'.join(str(m) for m in sorted(MIN_INTERVALS))} 分钟")
    return {"MinInterval": str(minutes)}


def _password(args: Mapping[str, object]) -> dict[str, str]:
    _only(args, "new_password")
    value = args.get("new_password")
    # HJ 212 PW is 6 characters in practice (表5 C6); letters and digits only, so it never breaks a frame.
    if not isinstance(value, str) or not (1 <= len(value) <= 6) or not (value.isascii() and value.isalnum()):
        raise InvalidInputError("新密码须为 1–6 位字母或数字")
    return {"NewPW": value}


def _minutes_pull(now: datetime) -> Callable[[Mapping[str, object]], dict[str, str]]:
    def build(args: Mapping[str, object]) -> dict[str, str]:
        _only(args, "minutes")
        minutes = _int_arg(args, "minutes", 1, MAX_MINUTES_PULL)
        end = now.astimezone(CHINA).replace(second=0, microsecond=0)
        begin = end - timedelta(minutes=minutes)
        return {"BeginTime": begin.strftime("%Y%m%d%H%M%S"), "EndTime": end.strftime("%Y%m%d%H%M%S")}

    return build


class CommandKind(StrEnum):
    """What an installer can ask of a terminal; the value is the API's name."""

    READ_REALTIME = "read_realtime"
    STOP_REALTIME = "stop_realtime"
    READ_RECENT_MINUTES = "read_recent_minutes"
    GET_TIME = "get_time"
    SET_TIME = "set_time"
    GET_REALTIME_INTERVAL = "get_realtime_interval"
    SET_REALTIME_INTERVAL = "set_realtime_interval"
    GET_MINUTE_INTERVAL = "get_minute_interval"
    SET_MINUTE_INTERVAL = "set_minute_interval"
    SET_PASSWORD = "set_password"


@dataclass(frozen=True, slots=True)
class KindSpec:
    cn: str
    label: str
    args: str  # the arguments it takes, for people (docs/api.md and the OpenAPI description)


KINDS: Mapping[CommandKind, KindSpec] = {
    CommandKind.READ_REALTIME: KindSpec(CN.REALTIME_DATA, "召测实时数据", "none"),
    CommandKind.STOP_REALTIME: KindSpec(CN.STOP_REALTIME_DATA, "停止实时数据", "none"),
    CommandKind.READ_RECENT_MINUTES: KindSpec(CN.MINUTE_DATA, "补召最近分钟数据", f"minutes: 1–{MAX_MINUTES_PULL}"),
    CommandKind.GET_TIME: KindSpec(CN.GET_FIELD_TIME, "读取终端时间", "none"),
    CommandKind.SET_TIME: KindSpec(CN.SET_FIELD_TIME, "校时", "system_time (optional; default: time of sending)"),
    CommandKind.GET_REALTIME_INTERVAL: KindSpec(CN.GET_RTD_INTERVAL, "读取实时数据间隔", "none"),
    CommandKind.SET_REALTIME_INTERVAL: KindSpec(CN.SET_RTD_INTERVAL, "设置实时数据间隔", "seconds: 30–3600"),
    CommandKind.GET_MINUTE_INTERVAL: KindSpec(CN.GET_MIN_INTERVAL, "读取分钟数据间隔", "none"),
    CommandKind.SET_MINUTE_INTERVAL: KindSpec(
        CN.SET_MIN_INTERVAL, "设置分钟数据间隔", "minutes: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30"
    ),
    CommandKind.SET_PASSWORD: KindSpec(CN.SET_PASSWORD, "修改终端密码", "new_password: 1–6 letters or digits"),
}
_BY_CN = {spec.cn: kind for kind, spec in KINDS.items()}


def command_params(kind: CommandKind, args: Mapping[str, object], now: datetime) -> dict[str, str]:
    """The CP scalars of `kind` from the caller's arguments, validated (InvalidInputError in Chinese)."""
    builders: dict[CommandKind, Callable[[Mapping[str, object]], dict[str, str]]] = {
        CommandKind.READ_RECENT_MINUTES: _minutes_pull(now),
        CommandKind.SET_TIME: _set_time,
        CommandKind.SET_REALTIME_INTERVAL: _rtd_interval,
        CommandKind.SET_MINUTE_INTERVAL: _min_interval,
        CommandKind.SET_PASSWORD: _password,
    }
    return builders.get(kind, _no_args)(args)


class CommandState(StrEnum):
    """The six states people see (issue 14), each with its Chinese name."""

    QUEUED = "queued"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


STATE_NAMES: Mapping[CommandState, str] = {
    CommandState.QUEUED: "排队中",
    CommandState.SENT: "已下发",
    CommandState.ACKNOWLEDGED: "终端已应答",
    CommandState.DONE: "已完成",
    CommandState.FAILED: "失败",
    CommandState.TIMED_OUT: "超时",
}
_STATE_OF: Mapping[CommandStatus, CommandState] = {
    CommandStatus.PENDING: CommandState.QUEUED,
    CommandStatus.SENT: CommandState.SENT,
    CommandStatus.ACCEPTED: CommandState.ACKNOWLEDGED,
    CommandStatus.SUCCEEDED: CommandState.DONE,
    CommandStatus.REJECTED: CommandState.FAILED,
    CommandStatus.FAILED: CommandState.FAILED,
    CommandStatus.TIMED_OUT: CommandState.TIMED_OUT,
    CommandStatus.EXPIRED: CommandState.TIMED_OUT,
}
# Why a command ended as it did, in words (the stored status keeps the finer distinction).
STATUS_NAMES: Mapping[CommandStatus, str] = {
    CommandStatus.PENDING: "等待终端在线",
    CommandStatus.SENT: "已发送，等待终端应答",
    CommandStatus.ACCEPTED: "终端已接受，等待执行结果",
    CommandStatus.SUCCEEDED: "执行成功",
    CommandStatus.REJECTED: "终端拒绝执行",
    CommandStatus.FAILED: "执行失败",
    CommandStatus.TIMED_OUT: "终端无应答",
    CommandStatus.EXPIRED: "有效期内终端未上线，未送达",
}


def state_of(status: CommandStatus) -> CommandState:
    return _STATE_OF[status]


def kind_of(command: Command) -> CommandKind | None:
    """The catalogue kind of a stored command; None for commands queued by other means (e.g. the listener's own)."""
    return _BY_CN.get(command.cn)


def shown_params(command: Command) -> dict[str, str]:
    """The command's parameters as anyone may see them: secrets masked."""
    return {k: ("******" if k in SECRET_PARAMS else v) for k, v in command.params.items()}


def new_command_id() -> str:
    return f"cmd-{secrets.token_hex(12)}"


def create_command(
    commands: CommandsRepository,
    registry: RegistryRepository,
    *,
    mn: str,
    kind: CommandKind,
    args: Mapping[str, object],
    requested_by: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> Command:
    """Validate and queue one command for a registered terminal; the listener holding its session sends it.

    A terminal that is offline gets it when it connects, until `ttl` (1 min–72 h) has passed (then: expired)."""
    now = require_utc(now, "now")
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise InvalidInputError("指令有效期须在 1 分钟到 72 小时之间")
    terminal = registry.get_terminal(mn)  # NotFoundError: only registered terminals get commands
    params = command_params(kind, args, now)
    if kind is CommandKind.SET_PASSWORD:
        for overdue in commands.expire_overdue(mn, now):  # an offline terminal's lapsed change must not block this
            settle_command(registry, overdue)
        terminal = registry.get_terminal(mn)
        if any(c.cn == CN.SET_PASSWORD for c in commands.for_mn(mn, statuses=_LIVE)):
            raise ConflictError("该终端已有未完成的修改密码指令，请等待其结束")
        # Accept the new password alongside the old one from now on: the terminal may switch before it answers.
        registry.put_terminal(dataclasses.replace(terminal, next_password_hash=hash_password(params["NewPW"])))
    for attempt in range(5):
        # QN: the request time in China time (HJ 212 §6.3.2); a clash with another command moves on by 1 ms.
        qn = format_qn((now + timedelta(milliseconds=attempt)).astimezone(CHINA).replace(tzinfo=None))
        command = Command(
            command_id=new_command_id(),
            mn=mn,
            cn=KINDS[kind].cn,
            qn=qn,
            created_at=now,
            expires_at=now + ttl,
            params=params,
            requested_by=requested_by,
        )
        try:
            return commands.enqueue(command)
        except ConflictError:
            continue
    raise ConflictError("指令提交过于频繁，请稍后再试")


_LIVE = frozenset({CommandStatus.PENDING, CommandStatus.SENT, CommandStatus.ACCEPTED})


def settle_command(registry: RegistryRepository, command: Command) -> None:
    """What a finished command changes in the registry. A password change (1072) that succeeded makes the new
    password the only one; one refused, failed or never delivered drops it. A timed-out one keeps both: the
    terminal may have switched without its answer arriving (sending the command again settles it)."""
    if command.cn != CN.SET_PASSWORD or command.status in _LIVE or command.status is CommandStatus.TIMED_OUT:
        return
    for _ in range(3):  # the listener writes terminal state too: re-read on a version conflict
        terminal = registry.find_terminal(command.mn)
        if terminal is None or terminal.next_password_hash is None:
            return
        if command.status is CommandStatus.SUCCEEDED:
            if not verify_new_password(terminal, command.params.get("NewPW", "")):
                return  # a later change is in flight: it settles itself
            changed = dataclasses.replace(terminal, password_hash=terminal.next_password_hash, next_password_hash=None)
        else:
            changed = dataclasses.replace(terminal, next_password_hash=None)
        try:
            registry.put_terminal(changed)
            return
        except ConflictError:
            continue


def verify_new_password(terminal: Terminal, password: str) -> bool:
    """Whether `password` is the pending new password of `terminal`."""
    pending = terminal.next_password_hash
    return pending is not None and verify_password(dataclasses.replace(terminal, password_hash=pending), password)


def commands_page(
    commands: CommandsRepository, mn: str, *, after: str | None, limit: int
) -> tuple[list[Command], str | None]:
    """A terminal's commands newest first, `limit` at a time; the cursor is the last command id shown."""
    ordered = sorted(commands.for_mn(mn), key=lambda c: (c.created_at, c.command_id), reverse=True)
    if after is not None:
        ids = [c.command_id for c in ordered]
        if after not in ids:
            raise InvalidInputError("分页游标无效")
        ordered = ordered[ids.index(after) + 1 :]
    page = ordered[:limit]
    return page, (page[-1].command_id if len(ordered) > limit else None)
