"""Dashboard counts by town and branch: terminals, status now, open and overdue alarms by rule, scope, cache."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.rules.state_docs import EnterpriseStatus
from monitoring.storage.ports import Store
from monitoring.views.dashboard import Summary, SummaryCache, dashboard_summary
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


class _Slow(SummaryCache):
    """Counts computations and holds each until released."""

    def __init__(self) -> None:
        super().__init__(max_age_s=0.0)  # always expired: every get wants a fresh one
        self.computed = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def _compute(self, store: Store, county_id: str, visible: frozenset[str] | None, now: datetime) -> Summary:
        self.computed += 1
        self.started.set()
        assert self.release.wait(10)
        return super()._compute(store, county_id, visible, now)


def _get_in_threads(cache: SummaryCache, s: Store, n: int) -> tuple[list[threading.Thread], list[Summary]]:
    got: list[Summary] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get(s, "rugao", visible=None, now=NOW))) for _ in range(n)
    ]
    for t in threads:
        t.start()
    return threads, got


def test_an_expired_summary_is_computed_once_while_callers_get_the_previous_one() -> None:
    s, cache = world(), _Slow()
    cache.release.set()
    previous = cache.get(s, "rugao", visible=None, now=NOW)
    cache.release.clear()
    cache.started.clear()
    refresher, _ = _get_in_threads(cache, s, 1)
    assert cache.started.wait(10)
    others, got = _get_in_threads(cache, s, 5)
    for t in others:
        t.join(10)
    assert got == [previous] * 5 and cache.computed == 2  # answered at once with the previous summary
    cache.release.set()
    refresher[0].join(10)


def test_without_a_previous_summary_callers_wait_for_the_one_computation() -> None:
    s, cache = world(), _Slow()
    first, got = _get_in_threads(cache, s, 1)
    assert cache.started.wait(10)
    cache.max_age_s = 60.0  # what the first computes stays fresh for the waiting ones
    others, got_others = _get_in_threads(cache, s, 4)
    cache.release.set()
    for t in first + others:
        t.join(10)
    assert cache.computed == 1 and len(got + got_others) == 5 and all(x is got[0] for x in got_others)
