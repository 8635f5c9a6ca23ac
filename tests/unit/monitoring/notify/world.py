"""A small county for notify tests: one town, one branch, two enterprises with contacts, and accounts of each
role (some without any channel), in a memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitoring.accounts.models import Account, Role
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.registry.models import (
    Branch,
    Contact,
    ContactRole,
    County,
    Enterprise,
    EnterpriseCategory,
    Town,
)
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store

COUNTY = "320682"
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 Beijing time


def account(aid: str, role: Role, phone: str = "", openid: str | None = None, **scope: object) -> Account:
    return Account(
        id=aid,
        username=f"user_{aid}",
        display_name=f"用户{aid}",
        role=role,
        county_id=COUNTY,
        phone=phone,
        wechat_openid=openid,
        **scope,  # type: ignore[arg-type]
    )


def world() -> Store:
    return populate(memory_store())


def populate(store: Store) -> Store:
    reg = store.registry
    reg.put_county(County(COUNTY, "如皋市"))
    reg.put_town(Town("T1", COUNTY, "白蒲镇"))
    reg.put_branch(Branch("B1", COUNTY, "执法一局"))
    contacts = (
        Contact("王经理", ContactRole.ENVIRONMENT_MANAGER, phone="13800000001", wechat_openid="o-wang"),
        Contact("李电工", ContactRole.ELECTRICIAN, phone="13800000002"),
        Contact("赵主任", ContactRole.OTHER),  # no channel at all
    )
    for eid, name, cs in (("E1", "如皋某化工", contacts), ("E2", "如皋某印染", ())):
        reg.put_enterprise(Enterprise(eid, COUNTY, name, "T1", "B1", EnterpriseCategory.AIR_CONTROL, contacts=cs))
    for a in (
        account("ent1", Role.ENTERPRISE, "13800000001", enterprise_ids=("E1",)),  # the same person as 王经理
        account("inst1", Role.INSTALLER, "13800000009", enterprise_ids=("E1", "E2")),
        account("br1", Role.BRANCH, "13900000001", "o-br1", branch_id="B1"),
        account("br2", Role.BRANCH, branch_id="B1"),  # no phone, no openid
        account("town1", Role.TOWN, "13700000001", town_id="T1"),
        account("em1", Role.EMERGENCY, "13600000001"),
    ):
        store.accounts.put_account(a)
    return store


def alarm(aid: str = "A1", enterprise: str = "E1", rule: str = "control_stopped", **kw: object) -> Alarm:
    fields: dict[str, object] = {
        "id": aid,
        "rule": rule,
        "subject": f"point:{enterprise}-P1",
        "enterprise_id": enterprise,
        "severity": "high",
        "state": AlarmState.PENDING,
        "episodes": (Episode(T0 - timedelta(minutes=30), None, {}, {}),),
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(kw)
    return Alarm(**fields)  # type: ignore[arg-type]
