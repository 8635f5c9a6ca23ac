"""The listener's ports over monitoring's sqlite store (iot_ingest/adapters/store.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iot_ingest.adapters.store import StoreEventSink
from iot_ingest.ports import Event
from monitoring.events.models import EventKind
from monitoring.storage.sqlite import open_store

pytestmark = pytest.mark.integration


def test_spent_unregistered_budget_is_an_event_the_bureau_sees(tmp_path: Path) -> None:
    # Given the listener's event for a source address whose unregistered budget is spent
    store = open_store(tmp_path / "db.sqlite")
    at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    event = Event("unregistered_throttled", at, "listener-1", mn="FAKE00000001", peer="203.0.113.7:40001",
                  session="s1", detail={"scope": "source", "source": "203.0.113.7", "window_s": 3600.0})  # fmt: skip
    # When the event sink of the local platform receives it
    asyncio.run(StoreEventSink(store).emit(event))
    # Then it is stored under its own kind, with the address and the scope
    stored = store.events.events_for_mn("FAKE00000001", at - timedelta(hours=1), at + timedelta(hours=1))
    assert [e.kind for e in stored] == [EventKind.UNREGISTERED_THROTTLED]
    assert stored[0].detail["scope"] == "source" and stored[0].detail["source"] == "203.0.113.7"
    assert stored[0].kind.label == "未登记终端数据超限"
    store.close()
