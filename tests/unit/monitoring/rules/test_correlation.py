"""Scenario tests for rule families 1-3 and the traps of issue 5 (stopped production, gaps, late data)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

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


def _shift_day(control_lag_min: int) -> World:
    """Production runs 08:00-12:00 and 13:00-17:00 (Beijing; 00:00-04:00 and 05:00-09:00 UTC); the fan starts 5
    minutes before each and stops `control_lag_min` after; the main feeder drops to the site's idle load."""
    w = World()
    lag, five = timedelta(minutes=control_lag_min), timedelta(minutes=5)

    def wobble(base: float) -> Callable[[datetime], float]:
        return lambda t: base + (t.minute % 7) * 0.1  # real loads vary: not a frozen stream

    def period(start: datetime, end: datetime, p1: float, c1: float, m1: float) -> None:
        amps = {"P1": p1 * 1.5, "C1": c1 * 1.5}
        for point, kw in (("P1", p1), ("C1", c1)):
            a = amps[point]
            w.feed(point, start, end, wobble(kw) if kw else 0.0, **volts(), ia=a, ib=a, ic=a)
        w.feed("M1", start, end, wobble(m1), **volts())

    period(at("23:00", -1), at("23:55", -1), 0.0, 0.0, 8.0)
    for on, off, next_on in ((at("00:00"), at("04:00"), at("05:00")), (at("05:00"), at("09:00"), at("12:00"))):
        period(on - five, on, 0.0, 20.0, 28.0)
        period(on, off, 60.0, 20.0, 90.0)
        period(off, off + lag, 0.0, 20.0, 28.0)
        period(off + lag, next_on - five, 0.0, 0.0, 8.0)
    return w


@pytest.mark.parametrize("lag_min", [0, 5, 10, 15])
def test_shift_ends_with_control_stopping_with_or_after_production_raise_nothing(lag_min: int) -> None:
    # Given lunch at 12:00 and the end of the day at 17:00, the fan stopping 0-15 min after production each time
    # (an interlocked stop, or the common 5-15 min run-on)
    w = _shift_day(lag_min)
    # When evaluated through the day and the evening
    w.run(at("00:30"), at("11:00"))
    # Then a behaving enterprise gets no alarm of any kind
    assert [(a.rule, a.subject) for a in w.alarms()] == []


def test_a_line_configured_with_a_run_on_raises_stop_early_when_control_stops_sooner() -> None:
    # Given a line whose control must run 15 min after production (an RTO purge) and the fan stops after 10
    w = _shift_day(10)
    w.config = w.config.with_overrides({"association": {"A1": {"start_stop_order": {"stop_lag_min": 15}}}})
    w.run(at("00:30"), at("11:00"))
    # Then each shift end is a stop_early, dated at production's stop, saying the fan ran 10 more minutes
    (alarm,) = w.alarms("start_stop_order")
    assert [e.start for e in alarm.episodes] == [at("04:00"), at("09:00")]
    assert {e.evidence["kind"] for e in alarm.episodes} == {"stop_early"}
    assert {e.evidence["control_after_production_min"] for e in alarm.episodes} == {10}


def test_control_started_after_rule_one_s_duration_is_also_a_late_start_saying_how_late() -> None:
    # Given production starts at 01:00 and the fan only at 01:25
    w = World()
    w.feed("P1", at("00:00"), at("01:00"), 0.0)
    w.feed("C1", at("00:00"), at("01:25"), 0.0)
    w.feed("P1", at("01:00"), at("02:30"), 60.0)
    w.feed("C1", at("01:25"), at("02:30"), 20.0)
    w.run(at("00:30"), at("02:30"))
    # Then the stop while producing is rule 1's, and the order alarm says it was a start 25 minutes late
    (stopped,) = w.alarms("control_stopped")
    assert (stopped.episodes[0].start, stopped.episodes[0].end) == (at("01:00"), at("01:25"))
    (order,) = w.alarms("start_stop_order")
    (ep,) = order.episodes
    assert ep.start == at("01:00") and ep.evidence["kind"] == "start_late"
    assert ep.evidence["late_min"] == 25 and ep.evidence["control_transition_at"] == at("01:25").isoformat()


def test_a_fan_started_before_production_by_the_line_s_lead_raises_nothing_and_later_raises_start_late() -> None:
    # Given a line whose fan must run 10 min before production (启动提前 600 s)
    def world(fan_on: str, ticks: list[datetime]) -> World:
        w = World()
        w.config = w.config.with_overrides({"association": {"A1": {"start_stop_order": {"start_lead_min": 10}}}})
        w.feed("P1", at("00:00"), at("01:00"), 0.0)
        w.feed("C1", at("00:00"), at(fan_on), 0.0)
        w.feed("P1", at("01:00"), at("02:00"), 60.0)
        w.feed("C1", at(fan_on), at("02:00"), 20.0)
        for t in ticks:
            w.tick(t)
        return w

    assert world("00:48", [at("01:30")]).alarms("start_stop_order") == []
    # Then a fan on at 00:57 is 7 min late, judged the same whichever tick's window first sees it (the window's
    # start may already have passed the fan's start: the minutes before it come from the warm-up readings)
    for tick in (at("01:05"), at("01:30"), at("01:44")):
        (alarm,) = world("00:57", [tick]).alarms("start_stop_order")
        assert alarm.episodes[0].evidence["late_min"] == 7, tick


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
