"""The embedded store is one database: a batch is one transaction across every repository, rules area included."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.sqlite import open_store

pytestmark = pytest.mark.integration
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _alarm() -> Alarm:
    episode = Episode(T, None, {}, {}, False, ())
    return Alarm("a1", "control_stopped", "A1/C1", "E1", "high", AlarmState.PENDING, (episode,), T, T, ("C1",))


def test_a_failed_batch_leaves_no_reading_alarm_or_rule_state(tmp_path: Path) -> None:
    store = open_store(tmp_path / "gk.db")
    try:
        # When a reading, an alarm and a watermark are written in one batch that then fails
        with pytest.raises(RuntimeError), store.batch():
            store.readings.put_reading(Reading("C1", T, ReadingKind.MINUTE, {"p": 0.0}))
            store.alarms.put(_alarm(), expected_version=None)
            store.rule_state.put("ent:E1", {"evaluated_until": T.isoformat()})
            raise RuntimeError("the tick failed after its writes")
        # Then none of them is stored
        assert store.readings.latest("C1", ReadingKind.MINUTE) is None
        assert store.alarms.list() == [] and store.rule_state.get("ent:E1") is None
        # and the same batch without the failure stores all three, seen from a second opener of the file
        with store.batch():
            store.readings.put_reading(Reading("C1", T, ReadingKind.MINUTE, {"p": 0.0}))
            store.alarms.put(_alarm(), expected_version=None)
            store.rule_state.put("ent:E1", {"evaluated_until": T.isoformat()})
    finally:
        store.close()
    again = open_store(tmp_path / "gk.db")
    try:
        assert again.readings.latest("C1", ReadingKind.MINUTE) is not None
        assert [a.id for a in again.alarms.list()] == ["a1"] and again.rule_state.get("ent:E1") is not None
    finally:
        again.close()
