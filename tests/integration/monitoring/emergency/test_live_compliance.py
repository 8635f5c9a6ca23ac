"""Live compliance of a declared alert from a real sqlite store: rows up to now, only for visible enterprises."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitoring.emergency.live import compliance_now
from monitoring.storage.sqlite import open_store
from tests.integration.monitoring.emergency.test_declared_curtailment import DAY, TMS, _declare, _store_day

pytestmark = pytest.mark.integration


def test_a_line_that_should_stop_but_runs_is_not_compliant_so_far(tmp_path: Path) -> None:
    db = _declare(tmp_path)
    _store_day(db, p1_kw=60.0)
    store = open_store(Path(db))
    try:
        (alert,) = store.emergency.alerts_between(DAY, DAY + timedelta(days=1))
        (tms,) = [e.enterprise_id for e in store.registry.list_enterprises("rugao") if e.name == TMS]
        now = DAY + timedelta(hours=3, minutes=20)  # 11:20 Beijing: three whole hours of the alert have passed
        got, rows = compliance_now(store, "rugao", alert.id, now, None)
        assert got == alert
        (row,) = rows
        assert row.enterprise_id == tms and row.compliant is False and row.intervals == 3
        assert "应停产线" in row.violating_intervals[0][2]
        assert compliance_now(store, "rugao", alert.id, now, frozenset({"someone-else"}))[1] == []
        assert compliance_now(store, "rugao", alert.id, DAY - timedelta(hours=1), None)[1] == []  # not begun
    finally:
        store.close()


def test_a_line_stopped_for_the_alert_is_compliant(tmp_path: Path) -> None:
    db = _declare(tmp_path)
    _store_day(db, p1_kw=0.0)
    store = open_store(Path(db))
    try:
        (alert,) = store.emergency.alerts_between(DAY, DAY + timedelta(days=1))
        (row,) = compliance_now(store, "rugao", alert.id, DAY + timedelta(hours=12), None)[1]
        assert row.compliant is True and row.intervals == 9  # the whole 08:00-17:00 alert
    finally:
        store.close()
