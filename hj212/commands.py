"""Downlink requests of the platform (上位机 → 现场机), one builder each (HJ 212-2017 表9, 附录C C.1–C.13, C.19–C.25).

Every builder takes the terminal's `mn`/`pw`, a fresh `qn` (see QnGenerator) and returns the frame bytes.
Requests ask for a reply (Flag A=1, as the appendix's Flag=5) unless `ack=False`. `st` defaults to 32
(地表水体环境污染源, as in the appendix); pass the terminal's own system code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

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
    "HISTORY_CNS",
    "MIN_INTERVALS",
]

# 表4: MinInterval N2 ∈ {1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30}.
MIN_INTERVALS = frozenset({1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30})
HISTORY_CNS = {"day": "2031", "facility_runtime_day": "2041", "minute": "2051", "hour": "2061"}


def _request(
    cn: str,
    cp: Mapping[str, object],
    *,
    mn: str,
    pw: str,
    qn: str,
    st: str,
    version: Version,
    ack: bool,
) -> bytes:
    if not (len(qn) == 17 and qn.isdigit() and qn.isascii()):
        raise UsageError(f"QN must be 17 digits YYYYMMDDhhmmsszzz, got {qn!r}")
    return build_frame(st=st, cn=cn, mn=mn, pw=pw, qn=qn, version=version, ack=ack, cp=cp)


def _range(name: str, value: int, low: int, high: int) -> str:
    if not low <= value <= high:
        raise UsageError(f"{name} must be within {low}..{high}, got {value}")
    return str(value)


def _pol(polid: str | None) -> dict[str, object]:
    return {} if polid is None else {"PolId": polid}


def set_timeout_retry(
    over_time: int,
    re_count: int,
    *,
    mn: str,
    pw: str,
    qn: str,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """1000 设置超时时间及重发次数 (OverTime s, ReCount; 表4: 0 < n <= 99)."""
    cp = {"OverTime": _range("OverTime", over_time, 1, 99), "ReCount": _range("ReCount", re_count, 1, 99)}
    return _request("1000", cp, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_field_time(
    *,
    mn: str,
    pw: str,
    qn: str,
    polid: str | None = None,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """1011 提取现场机时间 (optionally of one instrument, PolId)."""
    return _request("1011", _pol(polid), mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def set_field_time(
    system_time: datetime,
    *,
    mn: str,
    pw: str,
    qn: str,
    polid: str | None = None,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """1012 设置现场机时间 (SystemTime, terminal-local wall time)."""
    cp = {**_pol(polid), "SystemTime": format_time(system_time)}
    return _request("1012", cp, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_rtd_interval(
    *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """1061 提取实时数据间隔."""
    return _request("1061", {}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def set_rtd_interval(
    seconds: int, *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """1062 设置实时数据间隔 (RtdInterval, 30..3600 s; 附录A's example)."""
    cp = {"RtdInterval": _range("RtdInterval", seconds, 30, 3600)}
    return _request("1062", cp, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_min_interval(
    *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """1063 提取分钟数据间隔."""
    return _request("1063", {}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def set_min_interval(
    minutes: int, *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """1064 设置分钟数据间隔 (MinInterval ∈ 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)."""
    if minutes not in MIN_INTERVALS:
        raise UsageError(f"MinInterval must be one of {sorted(MIN_INTERVALS)}, got {minutes}")
    return _request("1064", {"MinInterval": str(minutes)}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def set_password(
    new_pw: str, *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """1072 设置现场机访问密码 (NewPW)."""
    if not new_pw:
        raise UsageError("NewPW may not be empty")
    return _request("1072", {"NewPW": new_pw}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def start_realtime_data(
    *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """2011 取污染物实时数据 (the terminal starts sending 2011 uploads)."""
    return _request("2011", {}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def stop_realtime_data(
    *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """2012 停止察看污染物实时数据 (a notification: the terminal answers 9013)."""
    return _request("2012", {}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def start_facility_status(
    *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """2021 取设备运行状态数据 (SBn-RS uploads)."""
    return _request("2021", {}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def stop_facility_status(
    *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """2022 停止察看设备运行状态 (a notification: the terminal answers 9013)."""
    return _request("2022", {}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def _history(
    cn: str,
    begin: datetime,
    end: datetime,
    *,
    mn: str,
    pw: str,
    qn: str,
    st: str,
    version: Version,
    ack: bool,
) -> bytes:
    if end < begin:
        raise UsageError("EndTime is before BeginTime")
    cp = {"BeginTime": format_time(begin), "EndTime": format_time(end)}
    return _request(cn, cp, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_day_data(
    begin: datetime,
    end: datetime,
    *,
    mn: str,
    pw: str,
    qn: str,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """2031 取污染物日历史数据 (BeginTime/EndTime)."""
    return _history("2031", begin, end, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_facility_runtime_days(
    begin: datetime,
    end: datetime,
    *,
    mn: str,
    pw: str,
    qn: str,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """2041 取设备运行时间日历史数据 (SBn-RT)."""
    return _history("2041", begin, end, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_minute_data(
    begin: datetime,
    end: datetime,
    *,
    mn: str,
    pw: str,
    qn: str,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """2051 取污染物分钟数据 (history pull: 9011, N uploads acked with 9014, then 9012)."""
    return _history("2051", begin, end, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_hour_data(
    begin: datetime,
    end: datetime,
    *,
    mn: str,
    pw: str,
    qn: str,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """2061 取污染物小时数据."""
    return _history("2061", begin, end, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_instrument_sn(
    polid: str, *, mn: str, pw: str, qn: str, st: str = "32", version: Version = Version.V2017, ack: bool = True
) -> bytes:
    """3019 提取设备唯一标识 (the instrument's xxxxxx-SN)."""
    return _request("3019", {"PolId": polid}, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def get_field_info(
    polid: str,
    info_id: str,
    *,
    mn: str,
    pw: str,
    qn: str,
    begin: datetime | None = None,
    end: datetime | None = None,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """3020 提取现场机信息 (InfoId; logs such as i11001 take BeginTime/EndTime, 表C.40)."""
    cp: dict[str, object] = {"PolId": polid, "InfoId": info_id}
    if (begin is None) != (end is None):
        raise UsageError("give both begin and end, or neither")
    if begin is not None and end is not None:
        if end < begin:
            raise UsageError("EndTime is before BeginTime")
        cp["BeginTime"] = format_time(begin)
        cp["EndTime"] = format_time(end)
    return _request("3020", cp, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)


def set_field_params(
    polid: str,
    params: Mapping[str, str],
    *,
    mn: str,
    pw: str,
    qn: str,
    st: str = "32",
    version: Version = Version.V2017,
    ack: bool = True,
) -> bytes:
    """3021 设置现场机参数: `params` maps info codes to values, sent as `i13004-Info=…`."""
    if not params:
        raise UsageError("3021 needs at least one parameter")
    cp: dict[str, object] = {"PolId": polid}
    for info_id, value in params.items():
        cp[info_id] = {"Info": value}
    return _request("3021", cp, mn=mn, pw=pw, qn=qn, st=st, version=version, ack=ack)
