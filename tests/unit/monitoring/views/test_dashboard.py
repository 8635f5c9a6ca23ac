"""Dashboard counts by town and branch: terminals, status now, open and overdue alarms by rule, scope, cache."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.rules.state_docs import EnterpriseStatus
from monitoring.storage.ports import Store
from monitoring.views.dashboard import SummaryCache, dashboard_summary
from tests.unit.monitoring.views.world import NOW, world

pytestmark = pytest.mark.unit


def _alarm(alarm_id: str, enterprise_id: str, rule: str, created: datetime, state: AlarmState) -> Alarm:
    ep = Episode(created - timedelta(minutes=30), None, {}, {})
    return Alarm(alarm_id, rule, f"assoc:{alarm_id}", enterprise_id, "high", state, (ep,), created, created)


def _seed(s: Store) -> None:
    EnterpriseStatus("e1", NOW - timedelta(minutes=3), "producing", ("p1",), (), (), 80.0, 15.0).save(s.rule_state)
    EnterpriseStatus("e3", NOW - timedelta(minutes=3), "stopped", (), (), (), 0.0, 0.0).save(s.rule_state)
    s.alarms.put(
        _alarm("a1", "e1", "control_stopped", NOW - timedelta(hours=3), AlarmState.PENDING), expected_version=None
    )
    s.alarms.put(
        _alarm("a2", "e1", "terminal_offline", NOW - timedelta(minutes=30), AlarmState.PENDING), expected_version=None
    )
    s.alarms.put(
        _alarm("a3", "e2", "control_stopped", NOW - timedelta(hours=5), AlarmState.CLOSED), expected_version=None
    )
    s.alarms.put(
        _alarm("a4", "e2", "control_low_load", NOW - timedelta(hours=5), AlarmState.PENDING), expected_version=None
    )


def test_counts_by_town_and_branch() -> None:
    s = world()
    _seed(s)
    summary = dashboard_summary(s, "rugao", visible=None, now=NOW)
    t = summary.total
    assert (t.enterprises, t.exempt, t.terminals_online, t.terminals_offline) == (3, 0, 1, 1)
    assert dict(t.status) == {"producing": 1, "stopped": 1, "unknown": 1}
    assert dict(t.install) == {"pending_survey": 3}
    assert dict(t.open_alarms) == {"control_stopped": 1, "terminal_offline": 1, "control_low_load": 1}
    # 2 h to respond: a1 (3 h) and a4 (5 h) are overdue, a2 (30 min) is not, a3 is closed
    assert +t.overdue_alarms == {"control_stopped": 1, "control_low_load": 1}
    towns = {a.area_id: a for a in summary.towns}
    assert towns["rugao-chengbei"].name == "城北街道"
    assert (towns["rugao-chengbei"].counts.enterprises, towns["rugao-jiangan"].counts.enterprises) == (2, 1)
    assert dict(towns["rugao-jiangan"].counts.open_alarms) == {"control_low_load": 1}
    # e2's terminal sent its last frame 2 h ago: offline although its flag still says online
    assert (towns["rugao-jiangan"].counts.terminals_online, towns["rugao-jiangan"].counts.terminals_offline) == (0, 1)
    branches = {a.area_id: a.counts for a in summary.branches}
    assert (branches["rugao-b1"].enterprises, branches["rugao-b6"].enterprises) == (2, 1)
    assert dict(branches["rugao-b1"].status) == {"producing": 1, "stopped": 1}


def test_a_scoped_caller_counts_only_its_enterprises_and_sees_only_its_areas() -> None:
    s = world()
    _seed(s)
    summary = dashboard_summary(s, "rugao", visible=frozenset({"e2"}), now=NOW)
    assert summary.total.enterprises == 1
    assert dict(summary.total.open_alarms) == {"control_low_load": 1}
    assert (summary.total.terminals_online, summary.total.terminals_offline) == (0, 1)
    assert [a.area_id for a in summary.towns] == ["rugao-jiangan"]
    assert [a.area_id for a in summary.branches] == ["rugao-b6"]


def test_cache_answers_within_its_age_and_recomputes_after() -> None:
    s = world()
    cache = SummaryCache(max_age_s=60)
    first = cache.get(s, "rugao", visible=None, now=NOW)
    _seed(s)
    assert cache.get(s, "rugao", visible=None, now=NOW) is first
    assert cache.get(s, "rugao", visible=frozenset({"e1"}), now=NOW) is not first  # scopes never share
    fresh = SummaryCache(max_age_s=0).get(s, "rugao", visible=None, now=NOW)
    assert dict(fresh.total.open_alarms) != dict(first.total.open_alarms)
