"""Decode's terminal-state throttle: at any upload interval the views can show online, the stored last frame never
looks offline while frames keep coming (warm or cold container), and one frame a minute costs one write per 600 s."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

import pytest

from monitoring.field.terminals import STALE_AFTER
from monitoring.ingest.terminal_state import ONLINE_WINDOW, FrameGaps, TerminalState, TerminalStates
from monitoring.registry.terminal import Terminal
from monitoring.views.dashboard import OFFLINE_AFTER
from monitoring.views.status import STALE_AFTER as STATUS_STALE_AFTER
from tests.contract.storage import builders as b
from tests.unit.monitoring.ingest.conftest import MN, NOW

REFRESH = timedelta(seconds=600)  # the AWS stage's terminal_state_refresh
DELIVERY = timedelta(seconds=45)  # listener → stream → batch window → decode, a slow case
JITTER_S = 10  # frames come up to this early or late


def _run(interval: timedelta, hours: int, stored_at: datetime | None, seed: int) -> tuple[timedelta, int]:
    """Frames every `interval` (± jitter) through one warm process; (the oldest stored last frame the views saw
    while frames kept coming, writes). `stored_at`: what an earlier container left (None: never seen)."""
    rng = random.Random(seed)
    stored = dataclasses.replace(b.terminal(MN), online=stored_at is not None, last_frame_at=stored_at)
    gaps, oldest, writes = FrameGaps(), timedelta(0), 0
    at = NOW
    while at < NOW + timedelta(hours=hours):
        landed = at + DELIVERY  # the views read the old stored value until this frame is decoded
        if stored.last_frame_at is not None:
            oldest = max(oldest, landed - stored.last_frame_at)
        gaps.note(MN, at)
        seen = TerminalState(at, peer="203.0.113.7:50122", gap=gaps.gap(MN))
        if TerminalStates.worth_writing(stored, seen, REFRESH):
            stored = dataclasses.replace(stored, online=True, last_frame_at=at, last_peer=seen.peer)
            writes += 1
        at += interval + timedelta(seconds=rng.randint(-JITTER_S, JITTER_S))
    return oldest, writes


def test_the_throttle_follows_the_views_window() -> None:
    assert ONLINE_WINDOW == OFFLINE_AFTER == STALE_AFTER == STATUS_STALE_AFTER


@pytest.mark.parametrize("minutes", [0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
@pytest.mark.parametrize("left_behind", [None, 0.5, 5, 9.9])
def test_a_live_terminal_never_looks_offline_at_any_interval_the_views_can_show(
    minutes: float, left_behind: float | None
) -> None:
    # Given a terminal uploading every `minutes` (1062 real-time 30–720 s, or 1064 minute data up to 12 min), its
    # state last written `left_behind` minutes before this container's first frame
    stored_at = None if left_behind is None else NOW - timedelta(minutes=left_behind)
    for seed in range(3):
        oldest, _ = _run(timedelta(minutes=minutes), 3, stored_at, seed)
        # Then the stored last frame the views read is never older than their window
        assert oldest < ONLINE_WINDOW, (minutes, left_behind, seed, oldest)


def test_one_frame_a_minute_costs_one_state_write_per_600_s() -> None:
    _, writes = _run(timedelta(minutes=1), 6, NOW - timedelta(minutes=3), seed=7)
    assert 32 <= writes <= 37  # 6 h / (600 s + up to a frame), plus at most one at the container's first frame


def test_an_upload_of_several_frames_does_not_hide_the_interval() -> None:
    # Given a terminal at 10 minutes whose hourly 2061 follows its 2051 by a few seconds
    gaps = FrameGaps()
    for at in (NOW, NOW + timedelta(minutes=10), NOW + timedelta(minutes=10, seconds=3)):
        gaps.note(MN, at)
    # Then its gap is still 10 minutes, and a frame delivered out of order changes nothing
    assert gaps.gap(MN) == timedelta(minutes=10)
    gaps.note(MN, NOW + timedelta(minutes=5))
    assert gaps.gap(MN) == timedelta(minutes=10)
    # And one seen only once has no gap yet; the bound drops the least recently seen
    small = FrameGaps(max_entries=1)
    small.note(MN, NOW)
    small.note("88888880000077", NOW)
    assert small.gap(MN) is None and len(small._seen) == 1


def test_a_cold_container_trusts_a_longer_interval_on_file() -> None:
    # Given a terminal whose registry entry says 20-minute data and no gap seen in this process
    stored = Terminal(
        mn=MN, county_id="rugao", password_hash=b.PASSWORD_HASH, online=True,
        last_frame_at=NOW - timedelta(seconds=30), minute_interval_min=20,
    )  # fmt: skip
    # Then its first frame is written even half a minute after the stored one
    assert TerminalStates.worth_writing(stored, TerminalState(NOW, gap=None), REFRESH)
    assert not TerminalStates.worth_writing(stored, TerminalState(NOW, gap=timedelta(minutes=1)), REFRESH)
