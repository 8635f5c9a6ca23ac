"""The views answer the same on every backend: sqlite, moto and DynamoDB Local (through the ports only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.audit.models import AuditRecord
from monitoring.clock import FixedClock
from monitoring.evaluation.config import load_defaults
from monitoring.readings.models import Aggregate, AggregatePeriod
from monitoring.rules.state_docs import EnterpriseStatus
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from monitoring.views.audit_log import AuditFilter, audit_log
from monitoring.views.dashboard import dashboard_summary
from monitoring.views.energy import daily_energy
from monitoring.views.enterprises import EnterpriseFilter, enterprise_file, list_enterprises
from monitoring.views.series import point_series
from monitoring.views.timeline import enterprise_timeline
from tests.contract.storage.dynamodb_adapters import dynamodb_local_store, moto_store
from tests.unit.monitoring.views.world import DAY_START, NOW, minutes, put, seed

pytestmark = pytest.mark.integration
H = timedelta(hours=1)


def _sqlite(tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[Store]:
    store = open_store(tmp_path / "views.db", clock=clock)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(
    params=[
        pytest.param(_sqlite, id="sqlite"),
        pytest.param(moto_store, id="moto"),
        pytest.param(dynamodb_local_store, id="dynamodb_local"),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    factory: Any = request.param
    made = factory(tmp_path, FixedClock(NOW), request)
    yield next(made)
    next(made, None)


def test_every_view_on_this_backend(store: Store) -> None:
    seed(store)
    put(store, minutes("p1", DAY_START + 8 * H, 60, p=80.0, ia=120.0))
    put(store, minutes("p2", DAY_START + 8 * H, 60, p=15.0, ia=25.0))
    store.readings.put_aggregate(Aggregate("p1", AggregatePeriod.DAY, DAY_START - 24 * H, 1440, energy_kwh=500.0))
    EnterpriseStatus("e1", NOW - timedelta(minutes=2), "producing", ("p1",), (), (), 80.0, 15.0).save(store.rule_state)
    ep = Episode(NOW - 4 * H, None, {}, {})
    alarm = Alarm("al1", "control_stopped", "assoc:a1", "e1", "high", AlarmState.PENDING, (ep,), NOW - 3 * H, NOW)
    store.alarms.put(alarm, expected_version=None)
    store.audit_trail.append(
        AuditRecord(NOW, "acc1", "air", "127.0.0.1", "web", "enterprises.edit", "enterprise", "e1", "e1")
    )

    page = list_enterprises(store, "rugao", EnterpriseFilter(q="有限公司"), visible=None, now=NOW, limit=1)
    assert [r.enterprise.enterprise_id for r in page.items] == ["e1"] and page.items[0].status == "producing"
    rest = list_enterprises(
        store, "rugao", EnterpriseFilter(q="有限公司"), visible=None, now=NOW, cursor=page.next_cursor
    )
    assert [r.enterprise.enterprise_id for r in rest.items] == ["e3"]
    f = enterprise_file(store, "e1", visible=frozenset({"e1"}), now=NOW)
    assert [t.mn for t in f.terminals] == ["MN0001"] and f.lines[0].control is not None
    series = point_series(store, "p1", DAY_START + 7 * H, DAY_START + 10 * H, visible=None, now=NOW)
    assert len(series.rows) == 60 and len(series.gaps) == 2
    assert daily_energy(store, "e1", days=2, visible=None, now=NOW)[0].production_kwh == 500.0
    tl = enterprise_timeline(store, "e1", None, config=load_defaults(), visible=None, now=NOW)
    assert [s.state for s in tl.enterprise] == ["no_data", "producing", "no_data"]
    summary = dashboard_summary(store, "rugao", visible=None, now=NOW)
    assert (
        summary.total.enterprises,
        summary.total.status["producing"],
        summary.total.overdue_alarms["control_stopped"],
    ) == (3, 1, 1)
    assert [r.object_id for r in audit_log(store, AuditFilter(), visible=None, now=NOW).records] == ["e1"]
