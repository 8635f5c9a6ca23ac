"""A small county for the maintenance tests: two enterprises with a terminal and a point each, a service provider
account for the first, a branch account, a fault report and offline alarms made on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.accounts.models import Account, Role
from monitoring.accounts.service import create_account
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.maintenance.models import ServiceProvider
from monitoring.reports.models import FaultKind, FaultReport
from monitoring.storage.ports import Store
from tests.contract.storage.builders import enterprise, facility, point, seed_jurisdictions, terminal
from tests.support.api import FAST_HASHER


@dataclass
class MaintenanceWorld:
    store: Store
    provider: Account  # installer account, provider of e1
    branch: Account  # branch rugao-b1 (both enterprises)
    other_installer: Account  # assigned to e2, not e1's provider


def build(store: Store, now: datetime) -> MaintenanceWorld:
    reg = store.registry
    seed_jurisdictions(reg)
    for n in (1, 2):
        reg.put_enterprise(enterprise(f"e{n}", contacts=()))
        reg.put_facility(facility(f"f{n}", enterprise_id=f"e{n}"))
        reg.put_terminal(terminal(f"MN000{n}", enterprise_id=f"e{n}"))
        reg.put_point(point(f"p{n}", enterprise_id=f"e{n}", facility_id=f"f{n}", mn=f"MN000{n}"))

    def account(name: str, role: Role, phone: str, **kw: object) -> Account:
        return create_account(store.accounts, now, username=name, display_name=name, role=role, county_id="rugao",
                              phone=phone, hasher=FAST_HASHER, **kw)  # type: ignore[arg-type]  # fmt: skip

    provider = account("provider_a", Role.INSTALLER, "13900000001", enterprise_ids=("e1",))
    branch = account("branch_b1", Role.BRANCH, "13900000002", branch_id="rugao-b1")
    other = account("provider_b", Role.INSTALLER, "13900000003", enterprise_ids=("e2",))
    store.maintenance.put_provider(ServiceProvider("e1", "甲运维公司", (provider.id,), "admin", now))
    return MaintenanceWorld(store, provider, branch, other)


def offline_alarm(store: Store, alarm_id: str, enterprise_id: str, mn: str, created: datetime, **kw: object) -> Alarm:
    episode = Episode(created - timedelta(minutes=30), kw.pop("ended", None), {}, {})  # type: ignore[arg-type]
    alarm = Alarm(alarm_id, str(kw.pop("rule", "terminal_offline")), f"terminal:{mn}", enterprise_id, "medium",
                  AlarmState(kw.pop("state", AlarmState.PENDING)), (episode,), created, created)  # fmt: skip
    return store.alarms.put(alarm, expected_version=None)


def fault_report(store: Store, report_id: str, enterprise_id: str, point_id: str, filed: datetime) -> FaultReport:
    report = FaultReport(report_id, enterprise_id, FaultKind.MONITORING, (point_id,), filed - timedelta(hours=1),
                         filed, "someone", "终端黑屏")  # fmt: skip
    store.reports.put_fault(report)
    return report
