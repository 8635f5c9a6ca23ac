"""The demo's maintenance ledger (issue 19, 二.4): a service provider and inspection records for the first
enterprises' terminals, dated from the demo's start so some are overdue, some due soon and the rest in time.
Deterministic ids: a re-run with --keep adds nothing. Terminal behaviour is untouched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.errors import NotFoundError
from monitoring.maintenance.checklist import checklist
from monitoring.maintenance.models import CheckResult, MaintenanceEntry, MaintenanceKind, ServiceProvider, Verdict
from monitoring.maintenance.service import set_provider
from monitoring.storage.ports import Store

ENTERPRISES = 12  # the first enterprises of the list get a ledger; the others show as 未投运 (no clock yet)
PROVIDER_NAME = "如皋演示运维有限公司"


@dataclass(frozen=True)
class SeededLedger:
    terminals: int
    overdue: int
    due_soon: int


def _put(store: Store, entry: MaintenanceEntry) -> None:
    try:
        store.maintenance.get_entry(entry.entry_id)
    except NotFoundError:
        store.maintenance.put_entry(entry)


def seed_maintenance(store: Store, start: datetime, installer_id: str, county_id: str = "rugao") -> SeededLedger:
    """Every 4th terminal last inspected 17 days before `start` (overdue), the next 12 days before (due within
    3 days), the others 1–7 days before; all commissioned 40 days before. `start` is the platform's (UTC)."""
    enterprises = sorted(store.registry.list_enterprises(county_id), key=lambda e: (e.list_seq or 0, e.enterprise_id))
    chosen = [e.enterprise_id for e in enterprises[:ENTERPRISES]]
    for enterprise_id in chosen:
        set_provider(store, ServiceProvider(enterprise_id, PROVIDER_NAME, (installer_id,), "demo", start,
                                            phone="0513-80000000"))  # fmt: skip
    terminals = sorted(
        (t for t in store.registry.list_terminals(county_id) if t.enterprise_id in chosen),
        key=lambda t: (chosen.index(t.enterprise_id or ""), t.mn),
    )
    marks = dict.fromkeys(checklist(), True)
    overdue = due_soon = 0
    for i, t in enumerate(terminals):
        enterprise_id = t.enterprise_id or ""
        commissioned = start - timedelta(days=40)
        check = CheckResult("voltage", "三相电压均有", Verdict.PASS, "演示数据")
        _put(store, MaintenanceEntry(f"mt-demo-{t.mn}-c", enterprise_id, MaintenanceKind.COMMISSIONING, commissioned,
                                     installer_id, commissioned, mn=t.mn, checks=(check,), passed=True))  # fmt: skip
        days = 17 if i % 4 == 0 else 12 if i % 4 == 1 else 1 + i % 7
        overdue += i % 4 == 0
        due_soon += i % 4 == 1
        at = start - timedelta(days=days, hours=i % 5)
        found = {"seal": False} if i % 4 == 0 else {}
        _put(store, MaintenanceEntry(f"mt-demo-{t.mn}-i", enterprise_id, MaintenanceKind.INSPECTION, at, installer_id,
                                     at, mn=t.mn, checklist=marks | found,
                                     text="封签破损，待更换" if found else "例行巡检，正常"))  # fmt: skip
    return SeededLedger(len(terminals), overdue, due_soon)
