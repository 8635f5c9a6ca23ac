"""Decode's progress per shard and partition-key group, and the time up to which the rules may judge."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from monitoring.rules.decode_watermark import (
    ALL,
    HELD,
    DecodeProgress,
    Released,
    decode_horizon,
    decoded_through,
    group_of,
)
from monitoring.rules.put_notes import note_doc, read_note
from monitoring.storage.rules_memory import MemoryRuleState
from tests.unit.monitoring.rules.world import at

pytestmark = pytest.mark.unit
S = timedelta(seconds=1)
LANES = 3  # several lanes a shard: only a group's own notes count for it


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
    assert group_of("88888880000001", 1) == ALL  # one lane per shard: a key that is not a group's is the shard's
    # a group's key is its own group whatever the lane setting says: while 3 lanes become 1, the function's setting
    # says 1 before the stream's lanes follow, and a fast lane's note must not stand for a slow one's
    assert group_of("g17", 1) == "g17"
    assert group_of("g17", 4) == "g17"
    # several lanes: a key that is not a group's (an older listener's MN, a redriven record) is not noted
    assert group_of("88888880000001", 4) is None
    assert group_of("g", 4) is None and group_of("g1234567", 4) is None and group_of("x17", 4) is None


def _puts(state: MemoryRuleState, task: str, now: datetime, puts: dict[str, datetime], closed: bool = False) -> None:
    """A listener task's put note as iot_ingest/adapters/put_notes.py writes it (nothing in flight)."""
    doc = note_doc(now.timestamp(), now.timestamp(), {g: t.timestamp() for g, t in puts.items()}, closed=closed)
    state.put(f"put:{task}", doc)


def test_a_put_note_keeps_each_groups_newest_put_to_the_second_at_or_before_it() -> None:
    doc = note_doc(at("02:00").timestamp() + 0.7, at("02:00").timestamp() + 0.2, {"g3": at("01:59").timestamp() + 0.9,
                   "g40": at("01:52").timestamp(), "g41": at("01:50").timestamp(), "x": 1.0})  # fmt: skip
    note = read_note("put:t1", doc)
    assert (note.task, note.closed, note.floor) == ("t1", False, at("02:00").timestamp() + 0.2)
    # a key that is not a group's is left out, and so is a put older than 9 minutes (decode forgets at 10)
    assert note.puts == {"g3": at("01:59").timestamp(), "g40": at("01:52").timestamp()}
    assert len(doc["ages"]) < 200  # two bytes a group up to the highest, compressed


def test_a_stuck_lane_holds_the_rules_as_long_as_the_listener_puts_to_it() -> None:
    state = MemoryRuleState()
    decode = DecodeProgress(state, container="a", every=timedelta(0))
    # Given lanes decoding g1 and g2 up to 02:00, then g2's lane sticks (retrying a batch, timed out, or not invoked
    # at all) while g1's goes on, and the listener keeps putting to both
    decode.note("shard-0", {"g1": at("02:00"), "g2": at("02:00")}, at("02:00"))
    for minute in range(1, 41):
        now = at("02:00") + minute * 60 * S
        decode.note("shard-0", {"g1": now - S}, now)  # the container forgets g2 after 10 minutes
        _puts(state, "task-1", now, {"g1": now - S, "g2": now - S})
        # Then each tick (the scheduler, which sweeps) holds the rules at g2's 02:00
        assert decoded_through(state, now, sweep=True, lanes=LANES) == at("02:00"), minute
    held = {"g2": [at("02:00").timestamp(), (at("02:40") - S).timestamp()]}
    assert state.get(HELD) == {"through": at("02:00").timestamp(), "groups": held}
    # When the lane recovers, the rules move on, and the memory of it is dropped
    now = at("02:41")
    decode.note("shard-0", {"g1": now - S, "g2": now - S}, now)
    _puts(state, "task-1", now, {"g1": now - S, "g2": now - S})
    assert decoded_through(state, now, sweep=True, lanes=LANES) == now - 2 * S
    assert state.get(HELD) == {"through": (now - 2 * S).timestamp(), "groups": {}}


def test_a_stuck_lane_whose_terminals_then_go_quiet_holds_until_decode_passes_their_last_put() -> None:
    state = MemoryRuleState()
    decode = DecodeProgress(state, container="a", every=timedelta(0))
    decode.note("shard-0", {"g1": at("02:00"), "g2": at("02:00")}, at("02:00"))
    # Given g2's lane stuck at 02:00, its terminals putting until 02:05, then quiet (the listener drops the put
    # from its note after 9 minutes, decode forgets the group after 10)
    for minute in range(1, 31):
        now = at("02:00") + minute * 60 * S
        decode.note("shard-0", {"g1": now - S}, now)
        _puts(state, "task-1", now, {"g1": now - S} | ({"g2": now - S} if minute <= 5 else {"g2": at("02:05") - S}))
        assert decoded_through(state, now, sweep=True, lanes=LANES) == at("02:00"), minute
    # When decode gets past the last put, the rules move on
    decode.note("shard-0", {"g1": at("02:31"), "g2": at("02:05")}, at("02:31"))
    _puts(state, "task-1", at("02:31"), {"g1": at("02:31") - S})
    assert decoded_through(state, at("02:31"), sweep=True, lanes=LANES) == at("02:31") - 2 * S


def test_a_group_decode_forgot_is_held_at_the_last_answer_when_it_is_put_to_again() -> None:
    state = MemoryRuleState()
    decode = DecodeProgress(state, container="a", every=timedelta(0))
    # Given g3 quiet for long (decode forgot it), and a tick that found nothing waiting
    decode.note("shard-0", {"g1": at("02:00")}, at("02:00"))
    _puts(state, "task-1", at("02:00"), {"g1": at("02:00") - S})
    assert decoded_through(state, at("02:00"), sweep=True, lanes=LANES) == at("02:00") - 2 * S
    # When its terminals come back at 02:01 while its lane is stuck, and the next tick is 4 minutes later
    for minute in (1, 2, 3, 4, 5):
        now = at("02:00") + minute * 60 * S
        decode.note("shard-0", {"g1": now - S}, now)
        _puts(state, "task-1", now, {"g1": now - S, "g3": now - S})
    # Then the rules stay at the last answer (its first records were put after it), not at a later put of g3
    assert decoded_through(state, at("02:05"), sweep=True, lanes=LANES) == at("02:00") - 2 * S


def test_a_quiet_group_holds_nothing_back() -> None:
    state = MemoryRuleState()
    decode = DecodeProgress(state, container="a", every=timedelta(0))
    # Given g7's terminals went quiet at 02:00 (its last record, put at 01:59:59.6, arrived and was decoded)
    _puts(state, "task-1", at("02:00"), {"g1": at("02:00"), "g7": at("02:00") - 0.4 * S})
    decode.note("shard-0", {"g1": at("02:00"), "g7": at("02:00")}, at("02:00") + S)
    for minute in (1, 5, 9, 30):
        now = at("02:00") + minute * 60 * S
        decode.note("shard-0", {"g1": now - S}, now)
        _puts(state, "task-1", now, {"g1": now - S, "g7": at("02:00") - 0.4 * S})
        # Then nothing waits: the rules are held only by the notes' own lag
        assert decoded_through(state, now, sweep=True, lanes=LANES) == now - 2 * S, minute


def test_a_listener_task_that_stops_noting_holds_the_rules_at_most_ten_minutes() -> None:
    state = MemoryRuleState()
    decode = DecodeProgress(state, container="a", every=timedelta(0))
    # Given two tasks, one of which crashed at 02:00 (records it put just before may still be on their way)
    _puts(state, "crashed", at("02:00"), {"g1": at("02:00")})
    for minute in (1, 9, 10, 11):
        now = at("02:00") + minute * 60 * S
        decode.note("shard-0", {"g1": now - S}, now)
        _puts(state, "live", now, {"g1": now - S})
        got = decoded_through(state, now, sweep=True, lanes=LANES)
        # Then its last note holds the rules at its time for 10 minutes, then it is swept
        assert got == (at("02:00") - 2 * S if minute <= 10 else now - 2 * S), minute
    assert state.keys("put:") == ["put:live"]
    # A task that stopped gracefully (closed note) holds nothing
    _puts(state, "stopped", at("02:11"), {"g1": at("02:10")}, closed=True)
    assert decoded_through(state, at("02:11"), lanes=LANES) == at("02:11") - 2 * S


def test_a_group_put_to_that_decode_never_noted_holds_the_rules_at_its_put() -> None:
    state = MemoryRuleState()
    DecodeProgress(state, container="a").note("shard-0", {"g1": at("02:00")}, at("02:00"))
    _puts(state, "task-1", at("02:01"), {"g1": at("02:00") - S, "g5": at("01:58")})
    assert decoded_through(state, at("02:01"), lanes=LANES) == at("01:58") - 2 * S
    # and with put notes but no decode note at all, the same
    state = MemoryRuleState()
    _puts(state, "task-1", at("02:01"), {"g5": at("01:58")})
    assert decoded_through(state, at("02:01"), lanes=LANES) == at("01:58") - 2 * S


def test_the_scheduler_remembers_only_groups_well_behind_and_at_most_the_slowest_two_thousand() -> None:
    state = MemoryRuleState()
    now = at("03:00")
    # Given 3,000 groups decoded 10 s behind their puts (the notes' own lag), and 2,500 stuck for minutes
    decode = DecodeProgress(state, container="a")
    lagging = {f"g{k}": now - 10 * S for k in range(3_000)}
    stuck = {f"g{k}": now - (60 + k) * S for k in range(3_000, 5_500)}
    decode.note("shard-0", lagging | stuck, now)
    _puts(state, "task-1", now, {g: now - S for g in (*lagging, *stuck)})
    assert decoded_through(state, now, sweep=True, lanes=LANES) == now - (60 + 5_499) * S
    held = state.get(HELD)
    assert held is not None and len(held["groups"]) == 2_000  # the slowest: g3500 … g5499
    assert min(int(g[1:]) for g in held["groups"]) == 3_500


def test_a_quiet_group_with_an_undecoded_put_holds_the_rules_at_most_an_hour() -> None:
    state = MemoryRuleState()
    decode = DecodeProgress(state, container="a", every=timedelta(0))
    # Given g1's last record, put at 10:00:04, never decoded (its batch went to the on-failure queue) and its
    # terminals quiet from then on, while g2 is put to and decoded every minute
    decode.note("shard-0", {"g1": at("10:00"), "g2": at("10:00")}, at("10:00"))
    for minute in range(1, 63):
        now = at("10:00") + minute * 60 * S
        decode.note("shard-0", {"g2": now - S}, now)
        _puts(state, "task-1", now, {"g2": now - S} | ({"g1": at("10:00") + 4 * S} if minute < 9 else {}))
        horizon = decode_horizon(state, now, sweep=True, lanes=LANES)
        if now - (at("10:00") + 4 * S) <= timedelta(hours=1):
            # Then it holds the rules at 10:00 for an hour
            assert (horizon.through, horizon.released) == (at("10:00"), ()), minute
        else:
            # And then it is released (once), the rules move on, and HELD forgets it
            assert horizon.through == now - 2 * S, minute
            assert horizon.released == ((Released("g1", at("10:00") + 4 * S, at("10:00")),) if minute == 61 else ())
            held = state.get(HELD)
            assert held is not None and "g1" not in held["groups"]


def test_a_stream_wide_decode_stall_is_held_past_the_bound() -> None:
    state = MemoryRuleState()
    decode = DecodeProgress(state, container="a", every=timedelta(0))
    decode.note("shard-0", {"g1": at("10:00"), "g2": at("10:00")}, at("10:00"))
    # Given every lane stuck at 10:00 (a store outage, Lambda not invoking decode) for three hours: g1's terminals
    # keep putting, g2's went quiet at 10:05
    for minute in range(1, 181):
        now = at("10:00") + minute * 60 * S
        _puts(state, "task-1", now, {"g1": now - S} | ({"g2": now - S} if minute <= 5 else {}))
        horizon = decode_horizon(state, now, sweep=True, lanes=LANES)
        # Then the live group holds the rules at 10:00 all along (g2, quiet for more than an hour, is let go: it
        # holds no further than g1 does)
        assert horizon.through == at("10:00"), minute
    # And when nobody puts at all (the listener gone quiet too), nothing is released however long it lasts
    state = MemoryRuleState()
    DecodeProgress(state, container="a").note("shard-0", {"g1": at("10:00")}, at("10:00"))
    for minute in range(1, 181):
        now = at("10:00") + minute * 60 * S
        _puts(state, "task-1", now, {"g1": at("10:05")} if minute < 9 else {})
        horizon = decode_horizon(state, now, sweep=True, lanes=LANES)
        assert (horizon.through, horizon.released) == (at("10:00"), ()), minute


def test_a_note_the_throttle_kept_is_written_when_the_container_notes_another_shard() -> None:
    state = MemoryRuleState()
    progress = DecodeProgress(state, container="c1")
    progress.note("shard-0", {"g1": at("10:00")}, at("10:00"))
    assert not progress.note("shard-0", {"g1": at("10:00") + 4 * S}, at("10:00") + 5 * S)  # kept
    progress.note("shard-1", {"g9": at("10:00") + 7 * S}, at("10:00") + 8 * S)  # shard-0's kept note not due yet
    assert state.get("decoded:shard-0:c1")["groups"]["g1"][0] == at("10:00").timestamp()  # type: ignore[index]
    # When the container's next batch is of another shard, 10 s after shard-0's note, shard-0's is written too
    assert not progress.note("shard-1", {"g9": at("10:00") + 11 * S}, at("10:00") + 11 * S)  # shard-1's: too soon
    assert state.get("decoded:shard-0:c1")["groups"]["g1"][0] == (at("10:00") + 4 * S).timestamp()  # type: ignore[index]


@pytest.mark.parametrize("lanes", [1, 3])
def test_a_lost_throttled_note_does_not_hold_the_rules_for_good(lanes: int) -> None:
    state = MemoryRuleState()
    c1, c2 = DecodeProgress(state, container="c1"), DecodeProgress(state, container="c2")
    # Given c1 wrote g1 through 10:00:00, then decoded g1's last record (put 10:00:04) and kept that note (throttle);
    # the shard's later batches went to c2 (c1 reclaimed), and g1's terminals went quiet
    c1.note("shard-0", {"g1": at("10:00")}, at("10:00"))
    c1.note("shard-0", {"g1": at("10:00") + 4 * S}, at("10:00") + 5 * S)
    released_at = None
    for minute in range(1, 71):
        now = at("10:00") + minute * 60 * S
        c2.note("shard-0", {"g2": now - S}, now)
        _puts(state, "task-1", now, {"g2": now - S} | ({"g1": at("10:00") + 4 * S} if minute < 9 else {}))
        horizon = decode_horizon(state, now, sweep=True, lanes=lanes)
        if horizon.through == now - 2 * S and released_at is None:
            released_at = minute
    # Then with one lane a shard g1 is decoded as far as its shard at once (c2's notes); with several lanes the
    # lost note holds g1 until the hour's bound releases it
    assert released_at == (1 if lanes == 1 else 61)


def test_while_stream_groups_change_a_fast_shard_does_not_hide_a_stuck_one_of_the_same_group() -> None:
    state = MemoryRuleState()
    now = at("10:10")
    # Given a rolling deploy from 64 to 128 groups: the old task keys g5 onto shard A, whose lane is stuck at 10:00
    # (its g5 records put up to 10:05 wait), the new task keys g5 onto shard B, decoded up to its put at 10:10
    DecodeProgress(state, container="a").note("shard-A", {"g5": at("10:00")}, at("10:00"))
    DecodeProgress(state, container="b").note("shard-B", {"g5": now}, now)
    old = note_doc(now.timestamp(), now.timestamp(), {"g5": at("10:05").timestamp()}, stream_groups=64)
    state.put("put:old", old)
    state.put("put:new", note_doc(now.timestamp(), now.timestamp(), {"g5": now.timestamp()}, stream_groups=128))
    assert read_note("put:old", old).stream_groups == 64
    # Then g5 counts as decoded only as far as its slowest shard: the rules wait at 10:00
    assert decoded_through(state, now, lanes=LANES) == at("10:00")
    # When the old task is gone (its note swept), shard B's progress counts again
    state.delete("put:old")
    assert decoded_through(state, now, lanes=LANES) == now - 2 * S
