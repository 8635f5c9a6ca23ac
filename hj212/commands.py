"""Downlink requests of the platform (上位机 → 现场机), one builder each (HJ 212-2017 表9, 附录C C.1–C.13, C.19–C.25).

More: docs/hj212.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import NotRequired, TypedDict, Unpack

from .catalogue import CN
from .errors import UsageError
from .frame import build_frame
from .messages import Version
from .qn import format_time

__all__ = [
    "get_day_data",
    "get_facility_runtime_days",
    "get_field_info",
    "get_field_time",
    "get_hour_data",
    "get_instrument_sn",
    "get_min_interval",
    "get_minute_data",
    "get_rtd_interval",
    "set_field_params",
    "set_field_time",
    "set_min_interval",
    "set_password",
    "set_rtd_interval",
    "set_timeout_retry",
    "start_facility_status",
    "start_realtime_data",
    "stop_facility_status",
    "stop_realtime_data",
    "Envelope",
    "HISTORY_CNS",
    "MIN_INTERVALS",
    "REQUESTS",
]

# 表4: MinInterval N2 ∈ {1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30}.
MIN_INTERVALS = frozenset({1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30})
HISTORY_CNS = {"day": CN.DAY_DATA, "facility_runtime_day": CN.FACILITY_RUNTIME_DAY, "minute": CN.MINUTE_DATA,
               "hour": CN.HOUR_DATA}  # fmt: skip


class Envelope(TypedDict):
    """What every request carries besides its data area (the header of §6.3.2)."""

    mn: str
    pw: str
    qn: str  # 17 digits YYYYMMDDhhmmsszzz, fresh per request
    st: NotRequired[str]  # default "32"
    version: NotRequired[Version]  # default 2017
    ack: NotRequired[bool]  # default True: ask for 9011/9012


def _request(cn: str, cp: Mapping[str, object], env: Envelope) -> bytes:
    qn = env["qn"]
    if not (len(qn) == 17 and qn.isdigit() and qn.isascii()):
        raise UsageError(f"QN must be 17 digits YYYYMMDDhhmmsszzz, got {qn!r}")
    return build_frame(st=env.get("st", "32"), cn=cn, mn=env["mn"], pw=env["pw"], qn=qn,
                       version=env.get("version", Version.V2017), ack=env.get("ack", True), cp=cp)  # fmt: skip


def _range(name: str, value: int, low: int, high: int) -> str:
    if not low <= value <= high:
        raise UsageError(f"{name} must be within {low}..{high}, got {value}")
    return str(value)


def _pol(polid: str | None) -> dict[str, object]:
    return {} if polid is None else {"PolId": polid}


def _span(begin: datetime, end: datetime) -> dict[str, object]:
    if end < begin:
        raise UsageError("EndTime is before BeginTime")
    return {"BeginTime": format_time(begin), "EndTime": format_time(end)}


def set_timeout_retry(over_time: int, re_count: int, **env: Unpack[Envelope]) -> bytes:
    """1000 设置超时时间及重发次数 (OverTime s, ReCount; 表4: 0 < n <= 99)."""
    cp = {"OverTime": _range("OverTime", over_time, 1, 99), "ReCount": _range("ReCount", re_count, 1, 99)}
    return _request(CN.SET_TIMEOUT_RETRY, cp, env)


def get_field_time(*, polid: str | None = None, **env: Unpack[Envelope]) -> bytes:
    """1011 提取现场机时间 (optionally of one instrument, PolId)."""
    return _request(CN.GET_FIELD_TIME, _pol(polid), env)


def set_field_time(system_time: datetime, *, polid: str | None = None, **env: Unpack[Envelope]) -> bytes:
    """1012 设置现场机时间 (SystemTime, terminal-local wall time)."""
    return _request(CN.SET_FIELD_TIME, {**_pol(polid), "SystemTime": format_time(system_time)}, env)


def get_rtd_interval(**env: Unpack[Envelope]) -> bytes:
    """1061 提取实时数据间隔."""
    return _request(CN.GET_RTD_INTERVAL, {}, env)


def set_rtd_interval(seconds: int, **env: Unpack[Envelope]) -> bytes:
    """1062 设置实时数据间隔 (RtdInterval, 30..3600 s; 附录A's example)."""
    return _request(CN.SET_RTD_INTERVAL, {"RtdInterval": _range("RtdInterval", seconds, 30, 3600)}, env)


def get_min_interval(**env: Unpack[Envelope]) -> bytes:
    """1063 提取分钟数据间隔."""
    return _request(CN.GET_MIN_INTERVAL, {}, env)


def set_min_interval(minutes: int, **env: Unpack[Envelope]) -> bytes:
    """1064 设置分钟数据间隔 (MinInterval ∈ 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)."""
    if minutes not in MIN_INTERVALS:
        raise UsageError(f"MinInterval must be one of {sorted(MIN_INTERVALS)}, got {minutes}")
    return _request(CN.SET_MIN_INTERVAL, {"MinInterval": str(minutes)}, env)


def set_password(new_pw: str, **env: Unpack[Envelope]) -> bytes:
    """1072 设置现场机访问密码 (NewPW)."""
    if not new_pw:
        raise UsageError("NewPW may not be empty")
    return _request(CN.SET_PASSWORD, {"NewPW": new_pw}, env)


def start_realtime_data(**env: Unpack[Envelope]) -> bytes:
    """2011 取污染物实时数据 (the terminal starts sending 2011 uploads)."""
    return _request(CN.REALTIME_DATA, {}, env)


def stop_realtime_data(**env: Unpack[Envelope]) -> bytes:
    """2012 停止察看污染物实时数据 (a notification: the terminal answers 9013)."""
    return _request(CN.STOP_REALTIME_DATA, {}, env)


def start_facility_status(**env: Unpack[Envelope]) -> bytes:
    """2021 取设备运行状态数据 (SBn-RS uploads)."""
    return _request(CN.FACILITY_STATUS, {}, env)


def stop_facility_status(**env: Unpack[Envelope]) -> bytes:
    """2022 停止察看设备运行状态 (a notification: the terminal answers 9013)."""
    return _request(CN.STOP_FACILITY_STATUS, {}, env)


def get_day_data(begin: datetime, end: datetime, **env: Unpack[Envelope]) -> bytes:
    """2031 取污染物日历史数据 (BeginTime/EndTime)."""
    return _request(CN.DAY_DATA, _span(begin, end), env)


def get_facility_runtime_days(begin: datetime, end: datetime, **env: Unpack[Envelope]) -> bytes:
    """2041 取设备运行时间日历史数据 (SBn-RT)."""
    return _request(CN.FACILITY_RUNTIME_DAY, _span(begin, end), env)


def get_minute_data(begin: datetime, end: datetime, **env: Unpack[Envelope]) -> bytes:
    """2051 取污染物分钟数据 (history pull: 9011, N uploads acked with 9014, then 9012)."""
    return _request(CN.MINUTE_DATA, _span(begin, end), env)


def get_hour_data(begin: datetime, end: datetime, **env: Unpack[Envelope]) -> bytes:
    """2061 取污染物小时数据."""
    return _request(CN.HOUR_DATA, _span(begin, end), env)


def get_instrument_sn(polid: str, **env: Unpack[Envelope]) -> bytes:
    """3019 提取设备唯一标识 (the instrument's xxxxxx-SN)."""
    return _request(CN.INSTRUMENT_SN, {"PolId": polid}, env)


def get_field_info(
    polid: str,
    info_id: str,
    *,
    begin: datetime | None = None,
    end: datetime | None = None,
    **env: Unpack[Envelope],
) -> bytes:
    """3020 提取现场机信息 (InfoId; logs such as i11001 take BeginTime/EndTime, 表C.40)."""
    cp: dict[str, object] = {"PolId": polid, "InfoId": info_id}
    if (begin is None) != (end is None):
        raise UsageError("give both begin and end, or neither")
    if begin is not None and end is not None:
        cp.update(_span(begin, end))
    return _request(CN.FIELD_INFO, cp, env)


def set_field_params(polid: str, params: Mapping[str, str], **env: Unpack[Envelope]) -> bytes:
    """3021 设置现场机参数: `params` maps info codes to values, sent as `i13004-Info=…`."""
    if not params:
        raise UsageError("3021 needs at least one parameter")
    cp: dict[str, object] = {"PolId": polid}
    for info_id, value in params.items():
        cp[info_id] = {"Info": value}
    return _request(CN.SET_FIELD_PARAMS, cp, env)


# CN → builder, for callers that pick the request by code (each takes its data area, then the envelope).
REQUESTS: Mapping[str, Callable[..., bytes]] = MappingProxyType(
    {
        CN.SET_TIMEOUT_RETRY: set_timeout_retry,
        CN.GET_FIELD_TIME: get_field_time,
        CN.SET_FIELD_TIME: set_field_time,
        CN.GET_RTD_INTERVAL: get_rtd_interval,
        CN.SET_RTD_INTERVAL: set_rtd_interval,
        CN.GET_MIN_INTERVAL: get_min_interval,
        CN.SET_MIN_INTERVAL: set_min_interval,
        CN.SET_PASSWORD: set_password,
        CN.REALTIME_DATA: start_realtime_data,
        CN.STOP_REALTIME_DATA: stop_realtime_data,
        CN.FACILITY_STATUS: start_facility_status,
        CN.STOP_FACILITY_STATUS: stop_facility_status,
        CN.DAY_DATA: get_day_data,
        CN.FACILITY_RUNTIME_DAY: get_facility_runtime_days,
        CN.MINUTE_DATA: get_minute_data,
        CN.HOUR_DATA: get_hour_data,
        CN.INSTRUMENT_SN: get_instrument_sn,
        CN.FIELD_INFO: get_field_info,
        CN.SET_FIELD_PARAMS: set_field_params,
    }
)
