"""decode_isolating: a store outage raises for a retry; a record that breaks its batch is isolated by bisection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import StorageUnavailableError
from monitoring.ingest.decode import Decoder
from monitoring.ingest.isolate import decode_isolating, is_transient
from monitoring.profiles.models import Profile
from monitoring.readings.models import ReadingKind
from monitoring.storage.ports import Store
from tests.unit.monitoring.ingest.conftest import frame, record, register

pytestmark = pytest.mark.unit


def _items(n: int) -> list[tuple[str, bytes]]:
    return [(str(i), record(frame("2011", f"DataTime=2026112818{i:02d}00;Ua01-Rtd=23{i}.0"))) for i in range(n)]


def _factory(store: Store, clock: FixedClock, profiles: dict[str, Profile], made: list[int]) -> Any:
    def new() -> Decoder:
        made.append(1)
        return Decoder(store, clock, profiles)

    return new


def test_a_record_that_breaks_its_batch_is_set_aside_alone(
    store: Store, clock: FixedClock, profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 8 records, the sixth of which trips a bug when its reading is written
    register(store)
    original = store.readings.put_readings

    def buggy(readings: Sequence[Any]) -> Any:
        if any(r.values.get("ua") == 235.0 for r in readings):
            raise ValueError("bad value for the bug")
        return original(readings)

    monkeypatch.setattr(store.readings, "put_readings", buggy)
    made: list[int] = []
    # When the batch is decoded with isolation
    result = decode_isolating(_items(8), _factory(store, clock, profiles, made))
    # Then only that record is poison, with its exception, and the other seven readings are stored once
    (poison,) = result.poison
    assert (poison.item_id, poison.reason) == ("5", "ValueError: bad value for the bug")
    assert "Traceback" in poison.error and "buggy" in poison.error
    assert result.report().readings_new == 7 and result.report().outcomes == {"reading": 7}
    stored = store.readings.readings("p-0001-01", ReadingKind.REALTIME, *_day())
    assert sorted(r.values["ua"] for r in stored) == [230.0, 231.0, 232.0, 233.0, 234.0, 236.0, 237.0]
    assert len(made) == 7  # whole batch, then halves down to the record: 1 + 2 + 2 + 2


def test_a_store_outage_raises_and_sets_nothing_aside(
    store: Store, clock: FixedClock, profiles: dict[str, Profile], monkeypatch: pytest.MonkeyPatch
) -> None:
    register(store)

    def down(readings: Sequence[Any]) -> Any:
        raise StorageUnavailableError("throttled")

    monkeypatch.setattr(store.readings, "put_readings", down)
    made: list[int] = []
    with pytest.raises(StorageUnavailableError):
        decode_isolating(_items(4), _factory(store, clock, profiles, made))
    assert len(made) == 1  # no bisection: the whole batch is retried


def test_is_transient_follows_the_cause_chain() -> None:
    try:
        try:
            raise OSError(28, "No space left on device")
        except OSError as exc:
            raise RuntimeError("write failed") from exc
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    assert is_transient(StorageUnavailableError("sqlite: database is locked"))
    assert not is_transient(KeyError("x")) and not is_transient(ValueError("y"))


def _day() -> tuple[Any, Any]:
    from datetime import UTC, datetime

    return datetime(2026, 11, 27, 16, tzinfo=UTC), datetime(2026, 11, 28, 16, tzinfo=UTC)
