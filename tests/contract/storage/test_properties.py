"""Properties that must hold for any delivery order: latest = newest seen, history = the set of distinct times."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract
_points = itertools.count()

# Minute offsets (duplicates allowed) delivered in arbitrary batches.
deliveries = st.lists(
    st.lists(st.integers(min_value=-600, max_value=50), min_size=1, max_size=8), min_size=1, max_size=6
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=deliveries)
def test_readings_any_delivery_order_leaves_latest_at_the_newest(store: Store, batches: list[list[int]]) -> None:
    # Given a fresh point (the store is shared across examples) and batches in any order, with redeliveries
    point = f"prop-{next(_points)}"
    for batch in batches:
        store.readings.put_readings(
            [Reading(point, NOW + timedelta(minutes=m), ReadingKind.MINUTE, {"p": float(m)}) for m in batch]
        )
    # Then latest is the newest minute ever delivered, and history holds each minute once
    newest = max(m for batch in batches for m in batch)
    latest = store.readings.latest(point, ReadingKind.MINUTE)
    assert latest is not None and latest.values["p"] == float(newest)
    history = store.readings.readings(point, ReadingKind.MINUTE, NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert [r.values["p"] for r in history] == sorted({float(m) for batch in batches for m in batch})
