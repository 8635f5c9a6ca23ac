"""Clocks: services take one as an argument so time-driven logic is testable (never `datetime.now()` inline)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of wall time."""
        time.sleep(max(seconds, 0.0))


class FixedClock:
    """A clock that stands still until told to move; for tests and deterministic replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def sleep(self, seconds: float) -> None:
        """Move on by `seconds` instead of waiting: a waiting caller sees the time it would see after its sleep."""
        self.advance(timedelta(seconds=max(seconds, 0.0)))

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back, with a negative delta) and return the new time."""
        self._at = self._at + delta
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to `at` (aware)."""
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)
