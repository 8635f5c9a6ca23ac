"""Record builders shared by the storage contract tests (valid defaults, override what the test is about)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.commands.models import Command
from monitoring.registry.models import (
    Association,
    Branch,
    County,
    Enterprise,
    EnterpriseCategory,
    Facility,
    FacilityKind,
    MonitoringPoint,
    Town,
    TownKind,
)
from monitoring.registry.terminal import Terminal, hash_password

# One cheap hash for every test terminal (scrypt at full cost would dominate the suite's time).
PASSWORD = "123456"
PASSWORD_HASH = hash_password(PASSWORD, n=2**4)


def seed_jurisdictions(registry: Any) -> None:
    registry.put_county(County("rugao", "如皋市", "南通市", "江苏省"))
    registry.put_town(Town("rugao-chengbei", "rugao", "城北街道", TownKind.STREET))
    registry.put_town(Town("rugao-jiangan", "rugao", "江安镇", TownKind.TOWN))
    registry.put_branch(Branch("rugao-b1", "rugao", "执法一局"))
    registry.put_branch(Branch("rugao-b6", "rugao", "执法六局"))


def enterprise(enterprise_id: str = "e1", **kw: Any) -> Enterprise:
    fields: dict[str, Any] = dict(
        county_id="rugao",
        name=f"企业{enterprise_id}",
        town_id="rugao-chengbei",
        branch_id="rugao-b1",
        category=EnterpriseCategory.AIR_CONTROL,
    )
    fields.update(kw)
    return Enterprise(enterprise_id=enterprise_id, **fields)


def facility(facility_id: str = "f1", **kw: Any) -> Facility:
    fields: dict[str, Any] = dict(enterprise_id="e1", code="MF0001", name="喷涂线", kind=FacilityKind.PRODUCTION)
    fields.update(kw)
    return Facility(facility_id=facility_id, **fields)


def point(point_id: str = "p1", **kw: Any) -> MonitoringPoint:
    fields: dict[str, Any] = dict(
        enterprise_id="e1",
        facility_id="f1",
        point_code=f"CODE-{point_id}",
        name=f"点位{point_id}",
        role=FacilityKind.PRODUCTION,
    )
    fields.update(kw)
    return MonitoringPoint(point_id=point_id, **fields)


def association(association_id: str = "a1", **kw: Any) -> Association:
    fields: dict[str, Any] = dict(
        enterprise_id="e1", name="1号治理线", control_facility_id="f2", production_facility_ids=("f1",)
    )
    fields.update(kw)
    return Association(association_id=association_id, **fields)


def register_fan_enterprise(registry: Any, eid: str, county: str = "rugao") -> None:
    """Enterprise `eid`: production line `<eid>-f1` (point `<eid>-p`, MN `<eid>MN1`) treated by its fan
    `<eid>-f2` (point `<eid>-c`, MN `<eid>MN2`), associated as `<eid>-a`; outside rugao in `<county>-t1`/`-b1`."""
    town, branch = ("rugao-chengbei", "rugao-b1") if county == "rugao" else (f"{county}-t1", f"{county}-b1")
    registry.put_enterprise(enterprise(eid, county_id=county, town_id=town, branch_id=branch))
    registry.put_facility(facility(f"{eid}-f1", enterprise_id=eid, rated_power_kw=100.0))
    registry.put_facility(
        facility(f"{eid}-f2", enterprise_id=eid, code="TA001", name="引风机", kind=FacilityKind.CONTROL,
                 rated_power_kw=30.0)
    )  # fmt: skip
    registry.put_point(point(f"{eid}-p", enterprise_id=eid, facility_id=f"{eid}-f1", mn=f"{eid}MN1"))
    registry.put_point(
        point(f"{eid}-c", enterprise_id=eid, facility_id=f"{eid}-f2", role=FacilityKind.CONTROL, mn=f"{eid}MN2")
    )
    registry.put_association(
        association(f"{eid}-a", enterprise_id=eid, production_facility_ids=(f"{eid}-f1",),
                    control_facility_id=f"{eid}-f2")
    )  # fmt: skip


def terminal(mn: str = "MN0001", **kw: Any) -> Terminal:
    fields: dict[str, Any] = dict(county_id="rugao", password_hash=PASSWORD_HASH)
    fields.update(kw)
    return Terminal(mn=mn, **fields)


def raw_frame(
    mn: str = "MN0001", at: datetime | None = None, payload: bytes = b"##0010QN=1;CP=&&&&0000\r\n", **kw: Any
) -> RawFrame:
    assert at is not None
    fields: dict[str, Any] = dict(peer="203.0.113.7:50122", auth=AuthStatus.OK, cn="2051", qn="20261128100000000")
    fields.update(kw)
    return RawFrame(mn=mn, raw=payload, received_at=at, **fields)


def command(command_id: str, at: datetime, *, mn: str = "MN0001", qn: str | None = None, ttl_s: int = 600) -> Command:
    return Command(
        command_id=command_id,
        mn=mn,
        cn="1012",
        qn=qn or f"20261128{int(hashlib.sha256(command_id.encode()).hexdigest(), 16) % 10**9:09d}",
        created_at=at,
        expires_at=at + timedelta(seconds=ttl_s),
        params={"SystemTime": "20261128100000"},
    )
