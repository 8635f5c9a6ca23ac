"""Unregistered MNs seen recently: from decode's hourly events and the archive, registered ones left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.archive.models import AuthStatus
from monitoring.errors import InvalidInputError
from monitoring.events.models import Event, EventKind
from monitoring.field.unregistered import recent_unregistered
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def _seen(store: Store, mn: str, at: datetime, peer: str) -> None:
    hour = at.replace(minute=0, second=0, microsecond=0)
    store.events.put_event(Event(mn, EventKind.UNREGISTERED_SEEN, hour, None, at, {"peer": peer}))
    store.archive.append(b.raw_frame(mn, at, payload=f"frame {mn} {at}".encode(), peer=peer,
                                     auth=AuthStatus.UNREGISTERED))  # fmt: skip


def test_lists_each_unregistered_mn_with_first_last_seen_frames_and_peer(store: Store) -> None:
    # Given an unknown MN sending three frames over two hours, another one long ago, and a registered terminal
    for minutes in (-180, -100, -30):
        _seen(store, "NEW000000001", NOW + timedelta(minutes=minutes), "203.0.113.5:4001")
    _seen(store, "OLD000000001", NOW - timedelta(days=9), "203.0.113.6:4001")
    _seen(store, "MN0001", NOW - timedelta(minutes=5), "203.0.113.7:4001")  # registered since
    # When an installer asks for the last 7 days
    (found,) = recent_unregistered(store.events, store.archive, store.registry, now=NOW)
    # Then one MN, with its real first and last frame times, count and newest peer
    assert found.mn == "NEW000000001" and found.frames == 3 and found.peer == "203.0.113.5:4001"
    assert found.first_seen == NOW - timedelta(minutes=180) and found.last_seen == NOW - timedelta(minutes=30)
    assert found.hours_seen == 3
    # and a 30-day window also finds the old one, newest first
    both = recent_unregistered(store.events, store.archive, store.registry, now=NOW, window=timedelta(days=30))
    assert [u.mn for u in both] == ["NEW000000001", "OLD000000001"]


def test_window_is_bounded(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        recent_unregistered(store.events, store.archive, store.registry, now=NOW, window=timedelta(days=31))
