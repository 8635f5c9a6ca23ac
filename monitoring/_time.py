"""Time helpers shared by models and adapters: UTC validation, China local time, integer microseconds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hj212.china_time import CHINA as CHINA  # re-exported: the one definition
from monitoring.errors import InvalidInputError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def require_utc(value: datetime, what: str) -> datetime:
    """Return `value` converted to UTC; reject naive datetimes (HJ 212 local times must be converted first)."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # already UTC (what astimezone would return as is); the common case, checked cheaply
    if not isinstance(value, datetime):
        raise InvalidInputError(f"{what}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(f"{what}: naive datetime; convert terminal local time with Asia/Shanghai first")
    return value.astimezone(UTC)


def parse_aware(text: str) -> datetime:
    """A time a person typed (the CLIs' --now, --at): ISO 8601 with its UTC offset, else a clear error."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"不是 ISO 8601 时间：{text!r}（如 2026-12-06T09:30+08:00）") from None
    if value.tzinfo is None:
        raise InvalidInputError(f"缺少时区（如 +08:00）：{text!r}")
    return value


def to_micros(value: datetime) -> int:
    """Aware datetime → integer microseconds since the Unix epoch (exact, sortable)."""
    delta = value.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """Integer microseconds since the Unix epoch → aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=value)


def china_day(value: datetime) -> date:
    """The Asia/Shanghai calendar day an instant falls on (completeness and daily aggregates use it)."""
    return value.astimezone(CHINA).date()


def china_day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC [start, end) of a China calendar day."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
