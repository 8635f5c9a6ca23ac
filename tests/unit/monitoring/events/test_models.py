"""Event identity is deterministic, so a redelivered SOE is recognised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.events.models import Event, EventKind, EventSource

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_event_id_is_the_same_for_the_same_soe() -> None:
    a = Event("MN1", EventKind.POWER_LOSS, T, point_id="p1")
    assert a.event_id == Event("MN1", EventKind.POWER_LOSS, T, point_id="p1", detail={"x": "1"}).event_id


def test_event_id_differs_by_millisecond_kind_and_point() -> None:
    base = Event("MN1", EventKind.POWER_LOSS, T, point_id="p1").event_id
    assert base != Event("MN1", EventKind.POWER_LOSS, T + timedelta(milliseconds=1), point_id="p1").event_id
    assert base != Event("MN1", EventKind.POWER_RESTORE, T, point_id="p1").event_id
    assert base != Event("MN1", EventKind.POWER_LOSS, T, point_id="p2").event_id


def test_event_kinds_know_their_source_and_label() -> None:
    assert EventKind.POWER_LOSS.source is EventSource.TERMINAL
    assert EventKind.AUTH_FAILURE.source is EventSource.PLATFORM
    assert EventKind.UNREGISTERED_SEEN.label == "未登记终端接入"
    assert all(k.label for k in EventKind)
