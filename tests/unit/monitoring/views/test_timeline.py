"""Status timeline of a day: producing, stopped, and a data gap that stays 无数据 (never a stop)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, Level, LevelMeasures
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.evaluation.config import load_defaults
from monitoring.views.timeline import NO_DATA, RUNNING, STOPPED, Segment, enterprise_timeline, segments
from tests.contract.storage import builders as b
from tests.unit.monitoring.views.world import DAY_START, NOW, minutes, put, world

pytestmark = pytest.mark.unit
H = timedelta(hours=1)


def test_segments_run_length_encode() -> None:
    m = timedelta(minutes=1)
    assert segments(["a", "a", "b", "a"], DAY_START) == (
        Segment(DAY_START, DAY_START + 2 * m, "a"),
        Segment(DAY_START + 2 * m, DAY_START + 3 * m, "b"),
        Segment(DAY_START + 3 * m, DAY_START + 4 * m, "a"),
    )
    assert segments([], DAY_START) == ()


def test_producing_then_stopped_then_a_gap_that_is_no_data() -> None:
    s = world()
    # 08:00–10:00 producing with control running, 10:00–11:00 both stopped, then silence until 14:00
    put(s, minutes("p1", DAY_START + 8 * H, 120, p=80.0, ia=120.0))
    put(s, minutes("p2", DAY_START + 8 * H, 120, p=15.0, ia=25.0))
    put(s, minutes("p1", DAY_START + 10 * H, 60, p=0.0, ia=0.0))
    put(s, minutes("p2", DAY_START + 10 * H, 60, p=0.0, ia=0.0))
    tl = enterprise_timeline(s, "e1", None, config=load_defaults(), visible=None, now=NOW)
    assert (tl.day, tl.start, tl.end) == (date(2026, 11, 28), DAY_START, NOW)
    states = [(seg.state, seg.start - DAY_START, seg.end - DAY_START) for seg in tl.enterprise]
    assert states[0] == (NO_DATA, timedelta(0), 8 * H)
    assert states[1][0] == "producing" and states[1][1] == 8 * H
    assert [st for st, _, _ in states] == [NO_DATA, "producing", "stopped", NO_DATA]
    stopped = states[2]
    assert 10 * H <= stopped[1] <= 10 * H + timedelta(minutes=3)  # confirmed within a couple of samples
    # after the data stops the engine's memory holds the last state a short while, then it is 无数据 to 14:00
    assert states[3][2] == 14 * H and states[3][1] <= 11 * H + timedelta(minutes=20)
    (line,) = tl.lines
    assert [seg.state for seg in line.production] == [NO_DATA, RUNNING, STOPPED, NO_DATA]
    assert [seg.state for seg in line.control] == [NO_DATA, RUNNING, STOPPED, NO_DATA]


def test_a_day_without_any_data_is_all_no_data() -> None:
    tl = enterprise_timeline(world(), "e1", date(2026, 11, 27), config=load_defaults(), visible=None, now=NOW)
    assert [(seg.state, seg.end - seg.start) for seg in tl.enterprise] == [(NO_DATA, timedelta(days=1))]
    assert [seg.state for seg in tl.lines[0].production] == [NO_DATA]


def test_future_days_scope_and_unknown_enterprises_are_refused() -> None:
    s = world()
    with pytest.raises(InvalidInputError):
        enterprise_timeline(s, "e1", date(2026, 11, 29), config=load_defaults(), visible=None, now=NOW)
    with pytest.raises(NotFoundError):
        enterprise_timeline(s, "e1", None, config=load_defaults(), visible=frozenset({"e2"}), now=NOW)


def test_an_alert_with_its_measures_applied_shows_as_curtailed() -> None:
    s = world()
    s.registry.put_facility(b.facility("f3", code="MF0002", name="烘干线", rated_power_kw=100.0))
    s.registry.put_point(b.point("p3", facility_id="f3", mn="MN0001", channel="03"))
    # 08:00–10:00 line 1 runs, line 2 (p3) is stopped; an orange alert 09:00–10:00 orders p3 to stop
    put(s, minutes("p1", DAY_START + 8 * H, 120, p=80.0, ia=120.0))
    put(s, minutes("p3", DAY_START + 8 * H, 120, p=0.0, ia=0.0))
    s.emergency.put_alert(EmergencyAlert("A1", Level.ORANGE, DAY_START + 9 * H, DAY_START + 10 * H, "橙色预警"))
    s.emergency.put_measures(EnterpriseMeasures("e1", {Level.ORANGE: LevelMeasures(("p3",))}))
    tl = enterprise_timeline(s, "e1", None, config=load_defaults(), visible=None, now=NOW)
    spans = [(seg.state, seg.start - DAY_START, seg.end - DAY_START) for seg in tl.enterprise]
    assert (("producing", 8 * H, 9 * H)) in spans and (("curtailed", 9 * H, 10 * H)) in spans
