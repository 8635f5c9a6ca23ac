"""Times and request codes (HJ 212-2017 表3/表4): `YYYYMMDDhhmmss` fields and the 17-digit QN.

The library never reads the clock: callers pass `now` (terminal-local wall time; in China UTC+8).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .errors import BadFrameError, UsageError

__all__ = ["QnGenerator", "format_qn", "format_time", "parse_time"]

_MS = timedelta(milliseconds=1)


def format_time(dt: datetime) -> str:
    """`YYYYMMDDhhmmss` (N14) of a wall time."""
    return f"{dt.year:04d}{dt.month:02d}{dt.day:02d}{dt.hour:02d}{dt.minute:02d}{dt.second:02d}"


def format_qn(dt: datetime) -> str:
    """`YYYYMMDDhhmmsszzz` (QN, 17 digits) of a wall time."""
    return f"{format_time(dt)}{dt.microsecond // 1000:03d}"


def parse_time(text: str) -> datetime:
    """Parse N14 `YYYYMMDDhhmmss`, tolerating 17 digits with milliseconds; naive terminal-local time."""
    s = text.strip()
    if len(s) not in (14, 17) or not s.isdigit() or not s.isascii():
        raise BadFrameError("bad_time", f"{text!r} is not YYYYMMDDhhmmss[zzz]", text.encode("utf-8", "replace")[:32])
    try:
        return datetime(
            int(s[0:4]),
            int(s[4:6]),
            int(s[6:8]),
            int(s[8:10]),
            int(s[10:12]),
            int(s[12:14]),
            int(s[14:17] or 0) * 1000,
        )
    except ValueError as exc:
        raise BadFrameError("bad_time", f"{text!r}: {exc}", text.encode("utf-8")) from exc


class QnGenerator:
    """Request codes from `now`, strictly increasing per generator (a clash moves on by 1 ms)."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: datetime | None = None

    def next(self, now: datetime) -> str:
        """The QN for a request sent at `now` (wall time; an aware datetime's own wall time is used)."""
        if not isinstance(now, datetime):
            raise UsageError("now must be a datetime")
        t = now.replace(tzinfo=None, microsecond=now.microsecond // 1000 * 1000)
        if self._last is not None and t <= self._last:
            t = self._last + _MS
        self._last = t
        return format_qn(t)
