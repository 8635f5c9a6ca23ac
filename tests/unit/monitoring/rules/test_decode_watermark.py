"""Decode's progress per shard, and the time up to which the rules may judge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.rules.decode_watermark import DecodeProgress, decoded_through
from monitoring.storage.rules_memory import MemoryRuleState
from tests.unit.monitoring.rules.world import at

pytestmark = pytest.mark.unit


def test_progress_is_noted_at_most_every_ten_seconds_per_shard() -> None:
    state = MemoryRuleState()
    progress = DecodeProgress(state)
    assert progress.note("shard-0", at("01:00"), at("01:00"))
    assert not progress.note("shard-0", at("01:00") + timedelta(seconds=5), at("01:00"))  # too soon: skipped
    assert progress.note("shard-1", at("01:00") + timedelta(seconds=5), at("01:00"))  # another shard
    assert progress.note("shard-0", at("01:00") + timedelta(seconds=12), at("01:01"))
    assert state.get("decoded:shard-0") == {
        "through": (at("01:00") + timedelta(seconds=12)).isoformat(),
        "noted_at": at("01:01").isoformat(),
    }


def test_the_rules_wait_for_the_slowest_live_shard() -> None:
    state = MemoryRuleState()
    assert decoded_through(state, at("02:00")) is None  # decode never noted: nothing to wait for
    progress = DecodeProgress(state)
    progress.note("fast", at("01:59"), at("01:59"))
    progress.note("slow", at("01:50"), at("01:59"))
    assert decoded_through(state, at("02:00")) == at("01:50")
    # A shard silent for more than 10 minutes while another is fresh is closed or idle: it holds nothing back
    progress.note("closed", at("01:00"), at("01:00"))
    assert decoded_through(state, at("02:00")) == at("01:50")


def test_when_every_shard_is_silent_the_rules_are_held_at_the_newest_note() -> None:
    state = MemoryRuleState()
    progress = DecodeProgress(state)
    progress.note("a", at("01:00"), at("01:00"))
    progress.note("b", at("01:05"), at("01:05"))
    # decode stalled (or nothing arrives): frames may be waiting, so the minutes after the last note are not judged
    assert decoded_through(state, at("03:00")) == at("01:05")
