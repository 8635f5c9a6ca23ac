"""Decode's progress per shard and partition-key group, and the time up to which the rules may judge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.rules.decode_watermark import ALL, DecodeProgress, decoded_through, group_of
from monitoring.storage.rules_memory import MemoryRuleState
from tests.unit.monitoring.rules.world import at

pytestmark = pytest.mark.unit
S = timedelta(seconds=1)


def test_a_container_writes_its_note_of_a_shard_at_most_every_ten_seconds() -> None:
    state = MemoryRuleState()
    progress = DecodeProgress(state, container="c1")
    assert progress.note("shard-0", {"g1": at("01:00")}, at("01:00"))
    assert not progress.note("shard-0", {"g2": at("01:00") + 5 * S}, at("01:00") + 5 * S)  # too soon: kept
    assert progress.note("shard-1", {"g9": at("01:00") + 5 * S}, at("01:00") + 5 * S)  # another shard
    assert progress.note("shard-0", {"g1": at("01:00") + 12 * S}, at("01:00") + 12 * S)
    # the kept group is in the next note, with when it was seen
    assert state.get("decoded:shard-0:c1") == {
        "noted_at": (at("01:00") + 12 * S).isoformat(),
        "groups": {
            "g1": [(at("01:00") + 12 * S).timestamp(), (at("01:00") + 12 * S).timestamp()],
            "g2": [(at("01:00") + 5 * S).timestamp(), (at("01:00") + 5 * S).timestamp()],
        },
    }


def test_a_fast_lane_does_not_move_the_rules_past_a_slow_lane_of_the_same_shard() -> None:
    state = MemoryRuleState()
    lane_a, lane_b = DecodeProgress(state, container="a"), DecodeProgress(state, container="b")
    lane_b.note("shard-0", {"g2": at("01:50")}, at("01:59"))  # behind: g2's later records still wait
    lane_a.note("shard-0", {"g1": at("01:59"), "g3": at("01:58")}, at("01:59"))
    assert decoded_through(state, at("02:00")) == at("01:50")
    # the slow lane catches up in another container: each group's newest note counts, wherever it was written
    DecodeProgress(state, container="c").note("shard-0", {"g2": at("01:59") + 30 * S}, at("02:00"))
    assert decoded_through(state, at("02:00")) == at("01:58")


def test_an_idle_group_holds_nothing_back() -> None:
    state = MemoryRuleState()
    DecodeProgress(state, container="a").note("shard-0", {"g7": at("01:30")}, at("01:30"))  # its terminals went quiet
    lanes = DecodeProgress(state, container="b")
    lanes.note("shard-0", {"g1": at("01:38")}, at("01:38"))
    assert decoded_through(state, at("01:39")) == at("01:30")  # quiet for 8 minutes: may still be a slow lane
    lanes.note("shard-0", {"g1": at("01:45")}, at("01:45"))
    assert decoded_through(state, at("01:46")) == at("01:45")  # more than 10 minutes: idle
    # a container forgets its own idle groups, so its note does not grow with them
    mine = DecodeProgress(state, container="d")
    mine.note("shard-1", {"g5": at("01:00")}, at("01:00"))
    mine.note("shard-1", {"g6": at("01:11")}, at("01:11"))
    doc = state.get("decoded:shard-1:d")
    assert doc is not None and list(doc["groups"]) == ["g6"]


def test_when_decode_stalls_the_rules_are_held_at_the_slowest_group_live_then() -> None:
    state = MemoryRuleState()
    DecodeProgress(state, container="a").note("a", {ALL: at("01:00")}, at("01:00"))
    DecodeProgress(state, container="b").note("b", {ALL: at("01:05")}, at("01:05"))
    DecodeProgress(state, container="c").note("old", {ALL: at("00:30")}, at("00:30"))  # closed long before
    # decode stalled (or nothing arrives): frames may be waiting behind either, so nothing after 01:00 is judged
    assert decoded_through(state, at("03:00")) == at("01:00")


def test_notes_written_before_groups_are_read_as_their_shards_all_group() -> None:
    state = MemoryRuleState()
    # one lane per shard wrote `decoded:<shard>`: true when written, so it counts until it goes idle like any group
    state.put("decoded:shard-0", {"through": at("01:50").isoformat(), "noted_at": at("01:50").isoformat()})
    DecodeProgress(state, container="a").note("shard-0", {"g1": at("01:55")}, at("01:55"))
    assert decoded_through(state, at("01:56")) == at("01:50")
    DecodeProgress(state, container="a").note("shard-0", {"g1": at("02:01")}, at("02:01"))
    assert decoded_through(state, at("02:02")) == at("02:01")
    assert decoded_through(MemoryRuleState(), at("02:00")) is None  # decode never noted: nothing to wait for


def test_the_sweep_deletes_notes_of_containers_gone_for_an_hour_but_not_a_stalled_decodes() -> None:
    state = MemoryRuleState()
    DecodeProgress(state, container="gone").note("shard-0", {"g1": at("01:00")}, at("01:00"))
    live = DecodeProgress(state, container="live", every=timedelta(0))
    live.note("shard-0", {"g1": at("02:00")}, at("02:00"))
    assert decoded_through(state, at("02:00"), sweep=True) == at("02:00")
    assert state.keys("decoded:") == ["decoded:shard-0:gone", "decoded:shard-0:live"]  # not an hour yet
    live.note("shard-0", {"g1": at("02:01")}, at("02:01"))
    assert decoded_through(state, at("02:01"), sweep=True) == at("02:01")
    assert state.keys("decoded:") == ["decoded:shard-0:live"]
    # decode stalled for hours: its notes stay (measured from the newest), so the rules stay held
    DecodeProgress(state, container="slow").note("shard-1", {"g2": at("01:55")}, at("02:01"))
    assert decoded_through(state, at("06:00"), sweep=True) == at("01:55")
    assert state.keys("decoded:") == ["decoded:shard-0:live", "decoded:shard-1:slow"]


def test_the_note_group_of_a_record() -> None:
    assert group_of("88888880000001", 1) == ALL  # one lane per shard: the shard is one group
    assert group_of("g17", 1) == ALL
    assert group_of("g17", 4) == "g17"
    # several lanes: a key that is not a group's (an older listener's MN, a redriven record) is not noted
    assert group_of("88888880000001", 4) is None
    assert group_of("g", 4) is None and group_of("g1234567", 4) is None and group_of("x17", 4) is None
