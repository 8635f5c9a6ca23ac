"""Arrival notes of the events repository base: a batch whose note failed is noted when it is put again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import StorageUnavailableError
from monitoring.events.models import Event, EventKind
from monitoring.storage.memory import MemoryEventsRepository

T = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


class _NoteFailsOnce(MemoryEventsRepository):
    """The memory repository whose first note write fails (a throttled request after the events were stored)."""

    failed = False

    def _put_notes(self, mns: Sequence[str], minute: datetime) -> None:
        if not self.failed:
            self.failed = True
            raise StorageUnavailableError("throttled")
        super()._put_notes(mns, minute)


def test_a_retried_batch_notes_events_stored_by_the_attempt_whose_note_failed() -> None:
    repo = _NoteFailsOnce(clock=FixedClock(T))
    loss = Event("MN1", EventKind.POWER_LOSS, T)
    with pytest.raises(StorageUnavailableError):
        repo.put_events([loss])  # the event is stored, its note is not: the batch fails and is retried
    assert repo.mns_with_new_events(T) == set()
    # The retry finds the event stored (a duplicate) and notes it all the same
    assert repo.put_events([loss]) == [False]
    assert repo.mns_with_new_events(T) == {"MN1"}
