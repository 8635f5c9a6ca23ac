"""A first contract check: every adapter opens, stores a reading and reads it back."""

from __future__ import annotations

import pytest

from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract


def test_store_with_one_reading_returns_it_as_latest(store: Store) -> None:
    # Given a reading
    reading = Reading("p1", NOW, ReadingKind.MINUTE, {"p": 12.5})
    # When it is stored
    assert store.readings.put_reading(reading) is True
    # Then it is the latest of its point
    assert store.readings.latest("p1", ReadingKind.MINUTE) == reading
