"""Scenario tests for rule families 1-3 and the traps of issue 5 (stopped production, gaps, late data)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.alarms.models import AlarmState
from tests.unit.monitoring.rules.world import World, at, volts

pytestmark = pytest.mark.unit


def _control_stop_world() -> World:
    # Given production runs 00:00-04:00 and the control fan stops 01:00-01:30
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.running(at("01:30"), at("04:00"))
    w.feed("P1", at("01:00"), at("01:30"), 60.0, **volts())
    w.feed("C1", at("01:00"), at("01:30"), 0.0, **volts(), ia=0.0, ib=0.0, ic=0.0)
    w.feed("M1", at("01:00"), at("01:30"), 70.0, **volts())
    return w


def test_control_stopped_while_production_runs_raises_one_alarm_on_data_time() -> None:
    w = _control_stop_world()
    # When evaluated every 5 minutes through the morning
    w.run(at("00:30"), at("03:00"))
    # Then exactly one alarm, episode 01:00-01:30: each transition dated at its first reading, not at the
    # second one that confirmed it
    (alarm,) = w.alarms("control_stopped")
    (ep,) = alarm.episodes
    assert (ep.start, ep.end) == (at("01:00"), at("01:30"))
    assert alarm.state == AlarmState.PENDING and not alarm.active and alarm.cleared_at == ep.end
    assert ep.evidence["thresholds"]["min_duration_min"] == 10
    assert [r["p"] for r in ep.evidence["readings"]["C1"]][:4] == [20.0, 20.0, 0.0, 0.0]
    assert ep.quality["C1"]["known_share"] == 1.0
    actions = [e.action for e in w.stores.audit.for_alarm(alarm.id)]
    assert actions == ["raised", "cleared"]


def test_control_stopped_is_raised_one_tick_after_its_duration_and_settle() -> None:
    # Given the fan stops at 01:00 while production runs (10 min rule, 2 min settle, ticks every minute)
    w = _control_stop_world()
    raised = None
    t = at("01:05")
    while raised is None and t <= at("01:20"):
        w.tick(t)
        raised = t if w.alarms("control_stopped") else None
        t += timedelta(minutes=1)
    # Then the alarm is raised at 01:12 (01:00 + 10 + 2), not a reading later
    assert raised == at("01:12")


def test_control_stopped_shorter_than_minimum_raises_nothing() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("01:08"), 60.0)
    w.feed("C1", at("01:00"), at("01:08"), 0.0)
    w.running(at("01:08"), at("02:00"))
    w.run(at("00:30"), at("02:00"))
    assert w.alarms("control_stopped") == []


def test_production_stopped_with_control_stopped_raises_nothing() -> None:
    # Given both production and control stopped for two hours (a legitimate stop: the Zhuzhou false alarm)
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("03:00"), 0.0, **volts())
    w.feed("C1", at("01:00"), at("03:00"), 0.0, **volts())
    w.feed("M1", at("01:00"), at("03:00"), 2.0, **volts())
    w.run(at("00:30"), at("03:00"))
    assert w.alarms("control_stopped") == []
    assert w.alarms("control_low_load") == []


def test_data_gap_on_control_raises_offline_not_control_stopped() -> None:
    # Given the control terminal sends nothing 01:00-02:00 while production runs
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("02:00"), 60.0)
    w.feed("M1", at("01:00"), at("02:00"), 90.0)
    w.running(at("02:00"), at("03:00"))
    w.run(at("00:30"), at("03:00"))
    # Then the gap is an interruption (rule 5), never a stop (rule 1)
    assert w.alarms("control_stopped") == []
    (off,) = w.alarms("terminal_offline")
    assert off.subject == "terminal:MN2"
    (ep,) = off.live_episodes
    assert ep.start == at("01:02") and ep.end == at("02:00")


def test_backfill_hours_late_raises_on_data_time_and_retracts_offline() -> None:
    # Given the control terminal was silent 01:00-01:45 and its stored readings arrive at 05:00
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.running(at("01:45"), at("06:00"))
    w.feed("P1", at("01:00"), at("01:45"), 60.0)
    w.feed("M1", at("01:00"), at("01:45"), 90.0)
    w.run(at("00:30"), at("04:55"))
    assert w.alarms("control_stopped") == []
    (offline,) = w.alarms("terminal_offline")
    # When the backfill arrives at 05:00 and shows the fan was stopped
    w.feed("C1", at("01:00"), at("01:45"), 0.0, received_at=at("05:00"))
    w.run(at("05:00"), at("05:10"))
    # Then the stop is raised on data time and the interruption retracted
    (alarm,) = w.alarms("control_stopped")
    assert alarm.data_start in (at("01:00"), at("01:01")) and alarm.created_at == at("05:00")
    offline = w.stores.alarms.get(offline.id)
    assert offline.state == AlarmState.RETRACTED
    assert [e.action for e in w.stores.audit.for_alarm(offline.id)][-1] == "retracted"


def test_restart_mid_window_neither_resets_nor_double_fires() -> None:
    # Given an episode under way when the process restarts (new engine objects, same stores)
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("02:00"), 60.0)
    w.feed("C1", at("01:00"), at("02:00"), 0.0)
    w.running(at("02:00"), at("03:00"))
    w.run(at("00:30"), at("01:20"))
    (before,) = w.alarms("control_stopped")
    restarted = World(stores=w.stores)
    restarted.inputs = w.inputs
    # When the new process ticks on, repeating the same minute twice
    restarted.tick(at("01:25"))
    assert restarted.tick(at("01:25")).changed == []
    restarted.run(at("01:30"), at("03:00"))
    # Then the same alarm continues with its original start, and clears once
    (after,) = w.alarms("control_stopped")
    assert after.id == before.id and after.data_start == before.data_start
    assert len(after.live_episodes) == 1 and not after.active


def test_scheduler_outage_catches_up_without_losing_the_episode() -> None:
    w = _control_stop_world()
    w.tick(at("00:30"))
    # When the scheduler is down 00:31-03:00 and resumes
    w.tick(at("03:00"))
    (alarm,) = w.alarms("control_stopped")
    assert alarm.episodes[0].end is not None and alarm.episodes[0].end - alarm.episodes[0].start >= timedelta(
        minutes=29
    )


def test_low_load_below_share_of_commissioning_baseline_raises() -> None:
    # Given production runs and the fan draws 5 kW against a commissioning baseline of 20 kW for 40 min
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("01:40"), 60.0)
    w.feed("C1", at("01:00"), at("01:40"), 5.0)
    w.running(at("01:40"), at("03:00"))
    w.run(at("00:30"), at("03:00"))
    (alarm,) = w.alarms("control_low_load")
    assert alarm.episodes[0].evidence["thresholds"]["baseline_source"] == "baseline"
    assert w.alarms("control_stopped") == []


def test_low_load_above_share_raises_nothing() -> None:
    w = World()
    w.running(at("00:00"), at("03:00"), c1=12.0)
    w.run(at("00:30"), at("03:00"))
    assert w.alarms("control_low_load") == []


def test_production_started_before_control_raises_start_order() -> None:
    # Given production starts at 01:00 and the fan only at 01:06
    w = World()
    w.feed("P1", at("00:00"), at("01:00"), 0.0)
    w.feed("C1", at("00:00"), at("01:06"), 0.0)
    w.feed("P1", at("01:00"), at("02:00"), 60.0)
    w.feed("C1", at("01:06"), at("02:00"), 20.0)
    w.run(at("00:30"), at("02:00"))
    (alarm,) = w.alarms("start_stop_order")
    assert alarm.episodes[0].evidence["kind"] == "start_late"
    assert w.alarms("control_stopped") == []


def test_control_stopped_before_production_raises_stop_order() -> None:
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("01:03"), 60.0)
    w.feed("C1", at("01:00"), at("02:00"), 0.0)
    w.feed("P1", at("01:03"), at("02:00"), 0.0)
    w.run(at("00:30"), at("02:00"))
    (alarm,) = w.alarms("start_stop_order")
    assert alarm.episodes[0].evidence["kind"] == "stop_early"


def test_stop_order_alarm_stands_once_the_window_slides_past_its_grace_span() -> None:
    # Given the fan stopped before production (a stop_early at about 01:03)
    w = World()
    w.running(at("00:00"), at("01:00"))
    w.feed("P1", at("01:00"), at("01:03"), 60.0)
    w.feed("C1", at("01:00"), at("04:00"), 0.0)
    w.feed("P1", at("01:03"), at("04:00"), 0.0)
    # When ticks run every minute until the evaluated window starts well after the stop
    w.run(at("00:30"), at("04:00"), step=timedelta(minutes=1))
    # Then the alarm stands: the window's edge passing the stop's grace minutes is not "the condition never held"
    (alarm,) = w.alarms("start_stop_order")
    assert alarm.state is AlarmState.PENDING and alarm.live_episodes


def test_orderly_start_and_stop_raises_nothing() -> None:
    w = World()
    w.feed("P1", at("00:00"), at("01:00"), 0.0)
    w.feed("C1", at("00:00"), at("00:55"), 0.0)
    w.feed("C1", at("00:55"), at("02:20"), 20.0)
    w.feed("P1", at("01:00"), at("02:00"), 60.0)
    w.feed("P1", at("02:00"), at("03:00"), 0.0)
    w.feed("C1", at("02:20"), at("03:00"), 0.0)
    w.run(at("00:30"), at("03:00"))
    assert w.alarms("start_stop_order") == [] and w.alarms("control_stopped") == []


def test_one_failing_enterprise_does_not_stop_the_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given evaluation of E1 blows up (a bug or hostile data)
    from monitoring.rules import correlation

    w = _control_stop_world()

    def boom(ctx: object) -> list[object]:
        raise ValueError("bad data")

    monkeypatch.setitem(__import__("monitoring.rules.service", fromlist=["FAST"]).FAST, "control_stopped", boom)
    result = w.tick(at("02:00"))
    # Then the failure is counted, not raised
    assert result.failed == ["E1"] and correlation.control_stopped is not boom
