"""Contract suite of the alarm list on every store: deadline order, filters, cursor pages, scope sets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.alarms.listing import AlarmQuery, Overdue
from monitoring.alarms.models import Alarm, AlarmState, Cause, Episode, Response
from monitoring.errors import InvalidInputError
from monitoring.storage.ports import Store

pytestmark = pytest.mark.contract
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _alarm(aid: str, enterprise: str, created: datetime, **kw: Any) -> Alarm:
    ep = Episode(created - timedelta(minutes=10), None, {"thresholds": {}}, {})
    rule = kw.pop("rule", "control_stopped")
    severity = kw.pop("severity", "high")
    state = kw.pop("state", AlarmState.PENDING)
    return Alarm(aid, rule, f"{aid}/S", enterprise, severity, state, (ep,), created, created, **kw)


def _world(store: Store) -> None:
    """a-late: pending, response due T+2h. b-dispatched: responded then dispatched at T+1h (due T+25h).
    c-responded: answered, no limit running, changed T+3h. d-closed: changed T+4h. e-new: pending, due T+5h."""
    answer = Response(Cause.OTHER, "x", (), "u", T + timedelta(minutes=30))
    for alarm in (
        _alarm("a-late", "E1", T),
        _alarm(
            "b-dispatched",
            "E2",
            T - timedelta(hours=1),
            state=AlarmState.DISPATCHED,
            response=answer,
            dispatched_to="B1",
            dispatched_at=T + timedelta(hours=1),
            rule="power_loss",
            severity="medium",
        ),
        replace(
            _alarm("c-responded", "E1", T, state=AlarmState.RESPONDED, response=answer),
            updated_at=T + timedelta(hours=3),
        ),
        replace(
            _alarm("d-closed", "E3", T, state=AlarmState.CLOSED, response=answer), updated_at=T + timedelta(hours=4)
        ),
        _alarm("e-new", "E3", T + timedelta(hours=3)),
    ):
        store.alarms.put(alarm, expected_version=None)


def _ids(store: Store, query: AlarmQuery, **kw: Any) -> list[str]:
    return [a.id for a in store.alarms.page(query, **kw).alarms]


def test_list_is_in_deadline_order_then_open_then_closed(store: Store) -> None:
    _world(store)
    assert _ids(store, AlarmQuery()) == ["a-late", "e-new", "b-dispatched", "c-responded", "d-closed"]


def test_pages_follow_each_other_without_gaps_or_repeats(store: Store) -> None:
    _world(store)
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = store.alarms.page(AlarmQuery(), after=after, limit=2)
        seen += [a.id for a in page.alarms]
        after = page.next_after
        if after is None:
            break
    assert seen == ["a-late", "e-new", "b-dispatched", "c-responded", "d-closed"]
    last = store.alarms.page(AlarmQuery(), limit=5)
    assert last.next_after is None  # exactly full: no empty extra page


def test_filters_narrow_the_list(store: Store) -> None:
    _world(store)
    assert _ids(store, AlarmQuery(enterprise_ids=frozenset({"E1"}))) == ["a-late", "c-responded"]
    assert _ids(store, AlarmQuery(enterprise_ids=frozenset())) == []
    many = frozenset({"E1", *(f"X{i}" for i in range(30))})  # DynamoDB: the county index path, not per enterprise
    assert _ids(store, AlarmQuery(enterprise_ids=many)) == ["a-late", "c-responded"]
    assert _ids(store, AlarmQuery(states=frozenset({AlarmState.CLOSED}))) == ["d-closed"]
    assert _ids(store, AlarmQuery(rules=frozenset({"power_loss"}))) == ["b-dispatched"]
    assert _ids(store, AlarmQuery(severities=frozenset({"medium"}))) == ["b-dispatched"]
    assert _ids(store, AlarmQuery(since=T + timedelta(hours=1))) == ["e-new"]
    assert _ids(store, AlarmQuery(until=T)) == ["b-dispatched"]
    assert _ids(store, AlarmQuery(enterprise_ids=frozenset({"E3"}), since=T + timedelta(hours=1))) == ["e-new"]
    assert _ids(store, AlarmQuery(enterprise_ids=frozenset({"E1", "E2"}), until=T)) == ["b-dispatched"]
    open_states = frozenset({AlarmState.PENDING, AlarmState.RESPONDED, AlarmState.DISPATCHED})
    assert _ids(store, AlarmQuery(states=open_states, enterprise_ids=frozenset({"E1", "E3"}))) == [
        "a-late",
        "e-new",
        "c-responded",
    ]


def test_overdue_filter_uses_the_given_now(store: Store) -> None:
    _world(store)
    at = T + timedelta(hours=6)  # a-late (T+2h) and e-new (T+5h) late to respond; b not yet (T+25h)
    assert _ids(store, AlarmQuery(overdue=Overdue.ANY, now=at)) == ["a-late", "e-new"]
    assert _ids(store, AlarmQuery(overdue=Overdue.INVESTIGATION, now=at)) == []
    later = T + timedelta(hours=26)
    assert _ids(store, AlarmQuery(overdue=Overdue.INVESTIGATION, now=later)) == ["b-dispatched"]
    assert _ids(store, AlarmQuery(overdue=Overdue.RESPONSE, now=later)) == ["a-late", "e-new"]


def test_a_transition_moves_the_alarm_in_the_list(store: Store) -> None:
    _world(store)
    late = store.alarms.get("a-late")
    answer = Response(Cause.OTHER, "x", (), "u", T + timedelta(hours=7))
    changed = replace(late, state=AlarmState.RESPONDED, response=answer, updated_at=T + timedelta(hours=7))
    store.alarms.put(changed, expected_version=late.version)
    assert _ids(store, AlarmQuery()) == ["e-new", "b-dispatched", "a-late", "c-responded", "d-closed"]


def test_page_size_is_bounded(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        store.alarms.page(AlarmQuery(), limit=0)
    with pytest.raises(InvalidInputError):
        store.alarms.page(AlarmQuery(), limit=501)
