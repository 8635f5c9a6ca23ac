"""sqlite: alarms stored before the list-key column get their key on first use, and the list index is used."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.alarms.listing import AlarmQuery
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.storage.sqlite import open_store

pytestmark = pytest.mark.integration
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _alarm(aid: str, created: datetime) -> Alarm:
    ep = Episode(created, None, {}, {})
    return Alarm(aid, "control_stopped", f"{aid}/S", "E1", "high", AlarmState.PENDING, (ep,), created, created)


def test_alarms_without_a_list_key_are_filled_in(tmp_path: Path) -> None:
    store = open_store(tmp_path / "a.db")
    store.alarms.put(_alarm("late", T), expected_version=None)
    store.alarms.put(_alarm("early", T - timedelta(hours=1)), expected_version=None)
    store.close()

    with sqlite3.connect(tmp_path / "a.db") as conn:  # as a database from before schema 82 would hold them
        conn.execute("UPDATE alarms SET list_key = NULL, severity = NULL")
    store = open_store(tmp_path / "a.db")
    try:
        assert [a.id for a in store.alarms.page(AlarmQuery(severities=frozenset({"high"}))).alarms] == [
            "early",
            "late",
        ]
    finally:
        store.close()


def test_the_list_query_uses_the_list_index(tmp_path: Path) -> None:
    store = open_store(tmp_path / "a.db")
    store.close()

    with sqlite3.connect(tmp_path / "a.db") as conn:
        plan = " ".join(
            str(row[3])
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT list_key, id, doc FROM alarms WHERE list_key < ? ORDER BY list_key, id "
                "LIMIT 200",
                ("2",),
            )
        )
    assert "alarms_by_list" in plan and "TEMP B-TREE" not in plan
