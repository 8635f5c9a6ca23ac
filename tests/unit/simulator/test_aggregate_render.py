"""Template rendering of real-time and period items equals the item-by-item reference (negative zero too)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from simulator.aggregate import ChannelStats, PeriodAggregator, _realtime_items_slow, realtime_items
from simulator.profile import load_profile

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 30, 8, 0)


def _values(rng: random.Random, codes: tuple[str, ...], tiny: bool) -> dict[str, float]:
    # tiny: values around zero of both signs, so some round to a negative zero
    return {c: rng.uniform(-0.004, 0.004) if tiny else rng.uniform(-500, 500) for c in codes}


@pytest.mark.parametrize("tiny", [False, True])
def test_realtime_items_match_the_reference_rendering(tiny: bool) -> None:
    profile, rng = load_profile(), random.Random(5)
    for _ in range(20):
        per = {ch: _values(rng, profile.codes, tiny) for ch in (2, 1)}
        assert realtime_items(profile, per) == _realtime_items_slow(profile, per)
    if tiny:
        assert any(i.endswith("=0.000,Pa01-Flag=N") or "=0.0," in i for i in realtime_items(profile, per))
        assert not any("=-0.0," in i or "=-0.00," in i for i in realtime_items(profile, per))


@pytest.mark.parametrize("tiny", [False, True])
def test_period_items_match_the_reference_rendering(tiny: bool) -> None:
    profile, rng = load_profile(), random.Random(9)
    agg = PeriodAggregator("minute", profile, 10)
    closes = 0
    for k in range(7 * 6 + 1):  # seven minutes, the last sample opens the eighth
        per = {1: _values(rng, profile.codes, tiny), 2: _values(rng, profile.codes, tiny)}
        closed = agg.add(T0 + timedelta(seconds=10 * k), per)
        if closed is not None:
            closes += 1
            for ch, items in closed.items.items():
                assert items == agg._close_items(closed.stats[ch], ch, per[ch], "N"), k
    assert closes == 7


def test_channel_stats_keep_min_max_and_a_left_to_right_sum_when_read_between_samples() -> None:
    rng = random.Random(3)
    rows = [{"a": rng.choice([1.0, -0.0, 0.0, rng.random()]), "b": rng.random() * 1e6} for _ in range(50)]
    st = ChannelStats()
    for r in rows[:20]:
        st.add(r, 10)
    assert st.lo["a"] == min(r["a"] for r in rows[:20])
    for r in rows[20:]:  # read, then grown
        st.add(r, 10)
    total = 0.0
    for r in rows:
        total += r["b"]
    assert st.total["b"] == total and st.hi["b"] == max(r["b"] for r in rows) and st.n == 50
    assert st.first == rows[0]
