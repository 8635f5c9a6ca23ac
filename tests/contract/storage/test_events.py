"""Contract: events are idempotent on their id and queryable by terminal and point with ms precision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import InvalidInputError
from monitoring.events.models import Event, EventKind
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract


def test_events_redelivered_soe_is_stored_once(store: Store) -> None:
    soe = Event("MN0001", EventKind.POWER_LOSS, NOW + timedelta(milliseconds=345), point_id="p1")
    assert store.events.put_events([soe, soe]) == [True, False]
    assert store.events.put_event(Event("MN0001", EventKind.POWER_LOSS, soe.occurred_at, point_id="p1")) is False


def test_events_query_by_mn_and_point_keeps_millisecond_order(store: Store) -> None:
    # Given SOE one millisecond apart and a platform event
    loss = Event("MN0001", EventKind.POWER_LOSS, NOW + timedelta(milliseconds=1), point_id="p1")
    back = Event("MN0001", EventKind.POWER_RESTORE, NOW + timedelta(milliseconds=2), point_id="p1")
    conn = Event("MN0001", EventKind.CONNECT, NOW, detail={"peer": "203.0.113.7:1"})
    other = Event("MN0002", EventKind.CONNECT, NOW)
    store.events.put_events([back, conn, loss, other])
    # Then queries return them ordered and round-tripped exactly
    assert store.events.events_for_mn("MN0001", NOW, NOW + timedelta(seconds=1)) == [conn, loss, back]
    assert store.events.events_for_point("p1", NOW, NOW + timedelta(milliseconds=2)) == [loss]
    assert store.events.events_for_mn("MN0001", NOW, NOW + timedelta(seconds=1), limit=1) == [conn]


def test_events_purge_respects_retention(store: Store) -> None:
    store.events.put_event(Event("MN0001", EventKind.CONNECT, NOW))
    assert store.events.purge_expired(NOW + timedelta(days=30)) == 0
    assert store.events.purge_expired(NOW + timedelta(days=1101)) == 1
    assert store.events.events_for_mn("MN0001", NOW, NOW + timedelta(days=1)) == []


def test_events_of_kind_lists_unregistered_terminals_across_mns(store: Store) -> None:
    # Given unregistered-frame events of two MNs, one of them outside the window, and other kinds
    a = Event("UNREG0001", EventKind.UNREGISTERED_SEEN, NOW, detail={"peer": "203.0.113.9:1"})
    b = Event("UNREG0002", EventKind.UNREGISTERED_SEEN, NOW + timedelta(hours=1))
    old = Event("UNREG0003", EventKind.UNREGISTERED_SEEN, NOW - timedelta(days=8))
    other = Event("MN0001", EventKind.CONNECT, NOW)
    throttled = Event("UNREG0001", EventKind.UNREGISTERED_THROTTLED, NOW)
    store.events.put_events([b, other, old, a, throttled])
    # Then the kind query sees exactly those of its kind in the window, oldest first
    window = (NOW - timedelta(days=7), NOW + timedelta(days=1))
    assert store.events.events_of_kind(EventKind.UNREGISTERED_SEEN, *window) == [a, b]
    assert store.events.events_of_kind(EventKind.UNREGISTERED_THROTTLED, *window) == [throttled]
    assert store.events.events_of_kind(EventKind.UNREGISTERED_SEEN, *window, limit=1) == [a]


def test_events_of_kind_refuses_kinds_that_are_not_indexed(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        store.events.events_of_kind(EventKind.CONNECT, NOW, NOW + timedelta(days=1))


def test_storing_an_event_the_rules_judge_notes_its_mn_at_the_arrival_minute(store: Store, clock: FixedClock) -> None:
    # Given a power loss stored at 10:00:30 (the store's clock) and a connection event (the rules never read those)
    clock.set(NOW + timedelta(seconds=30))
    store.events.put_events([Event("MN0001", EventKind.POWER_LOSS, NOW - timedelta(hours=2), point_id="p1")])
    store.events.put_event(Event("MN0002", EventKind.CONNECT, NOW))
    noted = store.events.mns_with_new_events(NOW)
    if noted is None:  # sqlite keeps no notes: every MN may have news, which is always right
        return
    # Then the power loss's MN is noted from its arrival minute on, however old the event itself
    assert noted == {"MN0001"}
    assert store.events.mns_with_new_events(NOW + timedelta(seconds=59)) == {"MN0001"}
    assert store.events.mns_with_new_events(NOW + timedelta(minutes=1)) == set()
    # And a parameter change stored a minute later is noted at its own minute only
    clock.set(NOW + timedelta(minutes=1, seconds=5))
    store.events.put_event(Event("MN0003", EventKind.PARAM_CHANGE, NOW))
    assert store.events.mns_with_new_events(NOW + timedelta(minutes=1)) == {"MN0003"}
    assert store.events.mns_with_new_events(NOW) == {"MN0001", "MN0003"}


def test_an_event_stored_again_is_noted_again_only_by_a_process_that_has_not_noted_it(
    store: Store, clock: FixedClock
) -> None:
    # Given a clock-skew event noted at 10:00 (decode puts the hour's event again at every terminal-state write)
    skew = Event("MN0001", EventKind.CLOCK_SKEW, NOW, detail={"skew_s": "400.0"})
    assert store.events.put_event(skew) is True
    if store.events.mns_with_new_events(NOW) is None:
        return
    # When this process puts it again a minute later
    clock.set(NOW + timedelta(minutes=1))
    assert store.events.put_event(skew) is False
    # Then nothing new is noted (the rules would otherwise re-read the terminal every minute)
    assert store.events.mns_with_new_events(NOW + timedelta(minutes=1)) == set()
