"""Rule ticks every N minutes raise the alarms ticks every minute raise: same ids, subjects, episodes, retractions,
at most N − 1 minutes later; a cadence changed on a live deployment neither re-raises nor misses; slow and daily
rules still run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from monitoring.alarms.models import Alarm, AlarmState
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, Level, LevelMeasures
from monitoring.evaluation.models import Sample, TerminalEvent
from monitoring.rules.service import Emergency
from tests.unit.monitoring.rules.world import World, at, topology, volts

pytestmark = pytest.mark.unit
MIN = timedelta(minutes=1)
START, END = at("00:00"), at("03:30")  # the ticks (processing time)
LATE_M1 = at("03:02") + timedelta(seconds=30)  # when the main feeder's buffered readings of its outage arrive
LATE_C1 = at("01:59")  # when the fan's buffered readings of 01:30-01:45 arrive: it had stopped


@dataclass(frozen=True)
class Row:
    point: str
    sample: Sample


def _scenario() -> list[Row]:
    """Production P1/P2 00:00-02:30 under an orange alert that tells P2 to stop (emergency violation); the fan C1
    stops 00:40-01:10 (control stopped), and 01:30-01:45 in readings that arrive only at 01:59 (backfill raises
    control stopped on data time); C1 stops at 02:25, before production (start/stop order); the fan's terminal
    reports a power loss 01:50-02:05; the main feeder's terminal is silent 01:20-02:05 (offline) until its buffered
    readings arrive at 03:02:30 (the offline alarm retracted)."""
    rows: list[Row] = []
    t = at("00:00") - timedelta(hours=1)
    while t < at("03:30"):
        producing = t < at("02:30")
        fan_off = at("00:40") <= t < at("01:10") or at("01:30") <= t < at("01:45") or t >= at("02:25")
        fan_late = at("01:30") <= t < at("01:45")
        main_late = at("01:20") <= t < at("02:05")
        real = t + timedelta(seconds=20)
        values: dict[str, dict[str, Any]] = {
            "P1": {"p": 60.0 if producing else 0.0, "ia": 90.0, "ib": 90.0, "ic": 90.0, **volts()},
            "P2": {"p": 40.0 if producing else 0.0, **volts()},
            "C1": {"p": 0.0 if fan_off else 20.0, "ia": 30.0, "ib": 30.0, "ic": 30.0, **volts()},
            "M1": {"p": 90.0 if producing else 5.0, **volts()},
        }
        for point, v in values.items():
            received = LATE_C1 if point == "C1" and fan_late else LATE_M1 if point == "M1" and main_late else real
            # integer-valued power varies a little, as meters do: a frozen stream would be flat-line tampering
            v["p"] = v["p"] + (t.minute % 3) * 0.1 if v["p"] else 0.0
            rows.append(Row(point, Sample(t, received_at=received, **v)))
        t += MIN
    return rows


def _world() -> World:
    w = World(topology(with_p2=True))
    alert = EmergencyAlert("A2026-07", Level.ORANGE, at("00:00"), at("03:00"), "重污染天气橙色预警")
    w.emergency = Emergency(alerts=[alert], measures={"E1": EnterpriseMeasures("E1", {Level.ORANGE: LevelMeasures(
        stop_points=("P2",))})})  # fmt: skip
    w.inputs.add_events([TerminalEvent(at("01:50"), "MN2", "power_off"), TerminalEvent(at("02:05"), "MN2", "power_on")])
    return w


def _ticks(start: datetime, end: datetime, every: int) -> Iterator[datetime]:
    t = start
    while t <= end:
        yield t
        t += timedelta(minutes=every)


def _run(w: World, rows: list[Row], ticks: Iterator[datetime], fed: set[int]) -> None:
    """Before each tick, store what has arrived by then (decode, in real time); then evaluate."""
    for now in ticks:
        for i, row in enumerate(rows):
            if i not in fed and row.sample.received_at is not None and row.sample.received_at <= now:
                w.inputs.add(row.point, [row.sample])
                fed.add(i)
        w.tick(now)


def _judged(w: World) -> set[tuple[Any, ...]]:
    """What the bureau sees of each alarm, processing times left out."""
    return {
        (a.id, a.rule, a.subject, a.state, a.point_ids, tuple((e.start, e.end, e.retracted) for e in a.episodes))
        for a in w.stores.alarms.list(limit=10_000)
    }


def _raised(w: World) -> dict[str, Alarm]:
    return {a.id: a for a in w.stores.alarms.list(limit=10_000)}


def _every(every: int) -> World:
    w = _world()
    _run(w, _scenario(), _ticks(START, END, every), set())
    return w


@pytest.fixture(scope="module")
def every_minute() -> World:
    return _every(1)


def test_the_scenario_raises_every_family_it_stages(every_minute: World) -> None:
    alarms = list(_raised(every_minute).values())
    by_rule = {(a.rule, a.subject, a.state) for a in alarms}
    assert ("control_stopped", "A1/C1", AlarmState.PENDING) in by_rule
    assert any(a.rule == "start_stop_order" for a in alarms)
    assert ("power_loss", "terminal:MN2", AlarmState.PENDING) in by_rule
    assert ("terminal_offline", "terminal:MN3", AlarmState.RETRACTED) in by_rule  # raised, then filled in
    assert any(a.rule == "emergency_violation" and a.point_ids == ("P2",) for a in alarms)
    # The backfilled stop (01:30-01:45, known at 01:59) is an episode of its own on data time
    (stopped,) = [a for a in alarms if a.rule == "control_stopped"]
    assert [e.start for e in stopped.live_episodes] == [at("00:40"), at("01:30")]


@pytest.mark.parametrize("every", [2, 5, 15])
def test_ticks_every_n_minutes_raise_the_same_alarms_at_most_n_minus_one_minutes_later(
    every_minute: World, every: int
) -> None:
    slower = _every(every)
    assert _judged(slower) == _judged(every_minute)
    once, later = _raised(every_minute), _raised(slower)
    delays = {i: later[i].created_at - once[i].created_at for i in once}
    assert all(timedelta(0) <= d <= (every - 1) * MIN for d in delays.values()), delays
    assert every < 5 or max(delays.values()) > timedelta(0)  # some alarm waited for the slower tick


@pytest.mark.parametrize(("first", "then", "switch"), [(1, 5, at("01:33")), (5, 1, at("01:35")), (1, 5, at("01:57"))])
def test_a_cadence_changed_on_a_live_deployment_neither_re_raises_nor_misses(
    every_minute: World, first: int, then: int, switch: datetime
) -> None:
    # Given the rules ticked at one cadence until `switch`, and at another (floored to it) from the next tick on
    w, rows, fed = _world(), _scenario(), set[int]()
    _run(w, rows, _ticks(START, switch, first), fed)
    resume = switch + MIN
    resume += timedelta(minutes=-resume.minute % then)
    _run(w, rows, _ticks(resume, END, then), fed)
    # Then the alarms are those of ticks every minute, each raised once
    assert _judged(w) == _judged(every_minute)
    for alarm in _raised(w).values():
        assert [e.action for e in w.stores.audit.for_alarm(alarm.id)].count("raised") == 1


def _day_world() -> World:
    """Readings 12:30-18:40 UTC only (20:30-02:40 Beijing): the local day 2026-11-23 is incomplete, and every
    value is frozen (flat-line tampering once it has lasted 4 hours while running)."""
    w = World()
    w.running(at("12:30"), at("18:40"))
    return w


@pytest.mark.parametrize("every", [1, 5, 15])
def test_slow_and_daily_rules_still_run_at_a_slower_cadence(every: int) -> None:
    w = _day_world()
    w.run(at("15:00"), at("18:40"), step=timedelta(minutes=every))
    found = {(a.rule, a.subject, tuple(e.start for e in a.episodes)) for a in w.alarms()}
    # The daily pass judged the local day once it ended (16:00 UTC + grace + stagger) ...
    day = datetime.fromisoformat("2026-11-23T00:00:00+08:00")
    assert {("data_incomplete", f"point:{p}", (day,)) for p in ("P1", "C1", "M1")} <= found
    # ... and the slow pass (every 15 minutes, staggered) found the frozen values, from their first minute
    flat = {s: starts for rule, s, starts in found if rule == "tamper_flatline"}
    assert flat and all(starts == (at("12:30"),) for starts in flat.values()), flat
