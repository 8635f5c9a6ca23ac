"""The demo's maintenance ledger: a provider and inspections for the first enterprises' terminals so that some
are overdue, some due soon and the rest in time at the demo's start; a second seeding adds nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from local.demo.maintenance import ENTERPRISES, seed_maintenance
from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.maintenance.schedule import InspectionState
from monitoring.maintenance.service import inspections
from monitoring.storage.memory import memory_store
from tests.contract.storage.builders import enterprise, seed_jurisdictions, terminal
from tests.support.api import FAST_HASHER

pytestmark = pytest.mark.unit
START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def test_some_terminals_are_overdue_some_due_soon_the_rest_in_time() -> None:
    store = memory_store()
    seed_jurisdictions(store.registry)
    for n in range(ENTERPRISES + 3):
        store.registry.put_enterprise(enterprise(f"e{n:02d}", list_seq=n + 1))
        for k in range(2):
            store.registry.put_terminal(terminal(f"MN{n:02d}{k}", enterprise_id=f"e{n:02d}"))
    installer = create_account(store.accounts, START, username="demo_installer", display_name="演示",
                               role=Role.INSTALLER, county_id="rugao", enterprise_ids=("e00",),
                               hasher=FAST_HASHER)  # fmt: skip
    seeded = seed_maintenance(store, START, installer.id)
    again = seed_maintenance(store, START, installer.id)
    assert seeded == again and seeded.terminals == 2 * ENTERPRISES
    states = Counter(d.state for d in inspections(store, "rugao", START))
    assert states[InspectionState.OVERDUE] == seeded.overdue == 6
    assert states[InspectionState.DUE_SOON] == seeded.due_soon == 6
    assert states[InspectionState.OK] == 12 and states[InspectionState.NOT_STARTED] == 6  # the unseeded ones
    assert len(store.maintenance.entries_for("e00")) == 4  # a commissioning and an inspection per terminal
    later = Counter(d.state for d in inspections(store, "rugao", START + timedelta(days=3)))
    assert later[InspectionState.OVERDUE] > seeded.overdue  # time moves the due ones into overdue
    assert store.maintenance.provider_for("e11") is not None and store.maintenance.provider_for("e12") is None
