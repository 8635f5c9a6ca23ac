"""The little county the API tests run in: two towns, two branches, an enterprise inside every scoped role's scope
and one outside it, and one account per role. Route engineers add their objects (inside and outside) here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitoring.accounts.models import Account, Role
from monitoring.accounts.service import create_account
from monitoring.registry.models import (
    Branch,
    County,
    Enterprise,
    EnterpriseCategory,
    Facility,
    FacilityKind,
    MonitoringPoint,
    Town,
)
from monitoring.storage.ports import Store
from tests.integration.miniprogram_api.field_world import add_field_objects
from tests.integration.miniprogram_api.world_alarms import add_alarm_objects
from tests.integration.miniprogram_api.world_campaign import add_campaign_objects
from tests.support.api import FAST_HASHER

COUNTY = "rugao"
PASSWORD = "Matrix-Passw0rd"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
ROLES = tuple(Role)


@dataclass
class World:
    """Ids the tests use: `inside[name]` is visible to every scoped role, `outside[name]` to the county roles only.
    Route paths are filled by parameter name from these two maps (tests/integration/miniprogram_api/matrix.py)."""

    accounts: dict[Role, Account]
    inside: dict[str, str] = field(default_factory=dict)
    outside: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def build_world(store: Store) -> World:
    reg = store.registry
    reg.put_county(County(COUNTY, "如皋市"))
    for suffix in ("in", "out"):
        reg.put_town(Town(f"town-{suffix}", COUNTY, f"{suffix}镇"))
        reg.put_branch(Branch(f"branch-{suffix}", COUNTY, f"{suffix}分局"))
        reg.put_enterprise(
            Enterprise(
                enterprise_id=f"ent-{suffix}",
                county_id=COUNTY,
                name=f"测试企业{suffix}",
                town_id=f"town-{suffix}",
                branch_id=f"branch-{suffix}",
                category=EnterpriseCategory.AIR_CONTROL,
            )
        )
    repo = store.accounts
    accounts: dict[Role, Account] = {}
    for role in ROLES:
        accounts[role] = create_account(
            repo,
            NOW,
            username=f"{role.value}_user",
            display_name=f"{role.value} 测试",
            role=role,
            county_id=COUNTY,
            branch_id="branch-in" if role is Role.BRANCH else None,
            town_id="town-in" if role is Role.TOWN else None,
            enterprise_ids=("ent-in",) if role in (Role.ENTERPRISE, Role.INSTALLER) else (),
            password=PASSWORD,
            hasher=FAST_HASHER,
        )
    # An account to administer (the role accounts stay usable) and one of another county (out of every scope).
    target = create_account(
        repo,
        NOW,
        username="target_user",
        display_name="被管理账号",
        role=Role.VIEWER,
        county_id=COUNTY,
        password=PASSWORD,
        hasher=FAST_HASHER,
    )
    foreign = create_account(
        repo,
        NOW,
        username="other_county",
        display_name="外县账号",
        role=Role.VIEWER,
        county_id="haian",
        password=PASSWORD,
        hasher=FAST_HASHER,
    )
    world = World(accounts=accounts)
    world.inside.update(enterprise_id="ent-in", account_id=target.id)
    world.outside.update(enterprise_id="ent-out", account_id=foreign.id)
    # ---- routes-alarms: alarms, reports, emergency objects (inside and outside) --------------------------------
    add_alarm_objects(store, world.inside, world.outside, datetime.now(UTC))
    # ---- routes-registry: points, readings, audit entries -----------------------------------------------------
    for suffix in ("in", "out"):
        reg.put_facility(
            Facility(
                f"fac-{suffix}", f"ent-{suffix}", "MF0001", "生产线", FacilityKind.PRODUCTION, rated_power_kw=100.0
            )
        )
        reg.put_point(
            MonitoringPoint(
                f"point-{suffix}",
                f"ent-{suffix}",
                f"fac-{suffix}",
                f"PC-{suffix}",
                "生产线电表",
                FacilityKind.PRODUCTION,
            )
        )
    world.inside.update(point_id="point-in")
    world.outside.update(point_id="point-out")
    # ---- routes-field: terminals, photos, commands ------------------------------------------------------------
    add_field_objects(store, world)
    # ---- campaign: the county's installation campaign ---------------------------------------------------------
    add_campaign_objects(store, COUNTY)
    return world
