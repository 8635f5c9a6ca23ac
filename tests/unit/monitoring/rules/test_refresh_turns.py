"""RefreshTurns: one turn per key and period of tick time, staggered by key, whatever ticks ran in between."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.rules.refresh_turns import RefreshTurns, minute_of

pytestmark = pytest.mark.unit

T = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
KEYS = [f"ent:e{i}" for i in range(300)]


def _due_at(turns: RefreshTurns, ticks: list[datetime]) -> dict[str, list[int]]:
    """For each key, the indexes of the ticks at which it was due, checked since the previous tick."""
    minutes = [minute_of(t) for t in ticks]
    return {k: [i for i in range(1, len(minutes)) if turns.due(k, minutes[i - 1], minutes[i])] for k in KEYS}


def test_at_five_minute_ticks_each_key_is_due_once_every_fifteen_minutes_a_third_of_them_each_tick() -> None:
    ticks = [T + timedelta(minutes=5 * n) for n in range(37)]  # three hours
    due = _due_at(RefreshTurns(timedelta(minutes=15)), ticks)
    # Every key: once in each three consecutive ticks, always at the same tick of the three
    assert all(len(at) == 12 and {i % 3 for i in at} == {at[0] % 3} for at in due.values())
    per_tick = Counter(i for at in due.values() for i in at)
    assert all(60 <= n <= 140 for n in per_tick.values())  # 100 of 300 on average


def test_skipped_ticks_leave_no_turn_behind() -> None:
    turns = RefreshTurns(timedelta(minutes=15))
    # The ticks at 3:05 ... 3:20 did not run (skipped, or ran in another container): a turn in the gap is taken at
    # the first tick after it, and a gap of a whole period makes every key due
    ticks = [T, T + timedelta(minutes=25), T + timedelta(minutes=30)]
    due = _due_at(turns, ticks)
    assert all(at[0] == 1 for at in due.values())
    # A second look at the same minute (another shard's tick) finds nothing due again
    m = minute_of(T)
    assert not any(turns.due(k, m, m) for k in KEYS)


def test_a_tick_not_on_a_minute_counts_from_its_minute() -> None:
    assert minute_of(T + timedelta(seconds=59)) == minute_of(T) == minute_of(T - timedelta(seconds=1)) + 1
