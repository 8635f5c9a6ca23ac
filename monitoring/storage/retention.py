"""How long high-volume records live: TTL (epoch seconds) per reading kind, aggregate period and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.errors import InvalidInputError
from monitoring.readings.models import AggregatePeriod, ReadingKind


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days to keep each series; None keeps forever. Aggregates outlive raw samples (DESIGN §7)."""

    realtime_days: int | None = 35
    minute_days: int | None = 400
    hour_days: int | None = None
    day_days: int | None = None
    hourly_aggregate_days: int | None = None
    daily_aggregate_days: int | None = None
    event_days: int | None = 1_100

    def __post_init__(self) -> None:
        for name in self.__slots__:
            days = getattr(self, name)
            if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
                raise InvalidInputError(f"retention {name} must be a whole number of days ≥ 1, or None")

    def reading_days(self, kind: ReadingKind) -> int | None:
        return {
            ReadingKind.REALTIME: self.realtime_days,
            ReadingKind.MINUTE: self.minute_days,
            ReadingKind.HOUR: self.hour_days,
            ReadingKind.DAY: self.day_days,
        }[kind]

    def aggregate_days(self, period: AggregatePeriod) -> int | None:
        return self.hourly_aggregate_days if period is AggregatePeriod.HOUR else self.daily_aggregate_days


def expires_at(when: datetime, days: int | None) -> int | None:
    """TTL in epoch seconds counted from the record's own time (not write time), or None to keep forever.

    Counting from data time means a late backfill of old data expires on the same schedule as on-time data.
    """
    if days is None:
        return None
    return int((when + timedelta(days=days)).timestamp())
