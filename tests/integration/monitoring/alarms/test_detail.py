"""Alarm detail from a real sqlite store (its one-query sample reader) and from the memory store (the readings
port): the line's production and control series, words, deadlines, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.alarms.detail import alarm_detail
from monitoring.alarms.models import Actor, ActorRole, Alarm, AlarmState, Cause, Episode
from monitoring.alarms.service import respond
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import FacilityKind
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.contract.storage.builders import association, enterprise, facility, point, seed_jurisdictions

pytestmark = pytest.mark.integration
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 Beijing time
EVIDENCE = {
    "association": "a1",
    "control_point": "c1",
    "production_points": ["p1"],
    "thresholds": {"min_duration_min": 10, "p_on_kw": 1.5, "p_off_kw": 1.0},
    "readings": {"c1": [{"at": T.isoformat(), "p": 0.0}]},
}


@pytest.fixture(params=["sqlite", "memory"])
def store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    s = open_store(tmp_path / "d.db") if request.param == "sqlite" else memory_store()
    seed_jurisdictions(s.registry)
    s.registry.put_enterprise(enterprise("e1"))
    s.registry.put_facility(facility("f1"))
    s.registry.put_facility(facility("f2", code="TF0001", name="活性炭吸附", kind=FacilityKind.CONTROL))
    s.registry.put_facility(facility("f3", code="MF0002", name="另一条线"))
    s.registry.put_point(point("p1"))
    s.registry.put_point(point("c1", facility_id="f2", role=FacilityKind.CONTROL))
    s.registry.put_point(point("p3", facility_id="f3"))
    s.registry.put_association(association("a1"))
    rows = [
        Reading(pid, T + timedelta(minutes=m), ReadingKind.MINUTE, {"p": 30.0 if pid != "c1" else 0.0})
        for pid in ("p1", "c1", "p3")
        for m in range(-120, 60)
    ]
    s.readings.put_readings(rows)
    ep = Episode(T, None, EVIDENCE, {"c1": {"known_share": 0.95, "samples": 30, "bad_flags": 1}})
    s.alarms.put(
        Alarm("al1", "control_stopped", "a1/c1", "e1", "high", AlarmState.PENDING, (ep,), T, T, ("p1", "c1")),
        expected_version=None,
    )
    yield s
    s.close()


def test_detail_shows_the_lines_series_words_deadlines_and_audit(store: Store) -> None:
    now = T + timedelta(hours=3)
    respond(
        store.alarms,
        store.audit,
        "al1",
        cause=Cause.EQUIPMENT_FAULT,
        text="风机故障",
        photos=["photos/x.jpg"],
        actor=Actor("u1", ActorRole.ENTERPRISE, "ip:127.0.0.1", enterprise_id="e1"),
        now=T + timedelta(hours=2, minutes=30),
    )
    d = alarm_detail(store, "al1", now)
    assert d.rule_name.startswith("治污设施停运") and d.enterprise_name == "企业e1"
    assert [(s.point_id, s.side) for s in d.series] == [("p1", "production"), ("c1", "control")]  # not p3
    assert d.series_start == T - timedelta(hours=1)
    assert d.series_end == now  # the episode still runs: up to now
    assert len(d.series[0].values) == 120 and d.series[1].values[0] == (T - timedelta(hours=1), 0.0)
    words = " ".join(d.episode_words[0])
    assert "2026-11-23 09:00起" in words and "产治关联“1号治理线”" in words and "持续10分钟以上" in words
    assert any("异常标记1条" in w for w in d.quality_words)
    assert d.deadlines == {} and d.overdue == ()  # answered: the response limit no longer runs
    assert [e.action for e in d.audit] == ["responded"] and d.audit[0].detail["late"] is True


def test_pending_alarm_shows_its_response_deadline_and_overdue(store: Store) -> None:
    d = alarm_detail(store, "al1", T + timedelta(hours=3))
    assert d.deadlines == {"response": T + timedelta(hours=2)} and d.overdue == ("response",)
    assert alarm_detail(store, "al1", T + timedelta(hours=1)).overdue == ()
