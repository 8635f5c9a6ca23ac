"""A small county for the campaign tests on a real sqlite store: two towns, two branches, enterprises with points."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from monitoring._time import CHINA
from monitoring.campaign.defaults import default_campaign
from monitoring.campaign.models import Campaign
from monitoring.campaign.service import Actor
from monitoring.readings.models import Completeness, ReadingKind
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
from monitoring.storage.sqlite import open_store

COUNTY = "rugao"
CLERK = Actor("acct-air-1", "air", "cli")


def beijing(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), CHINA).astimezone(UTC)


def build(enterprises: int = 4) -> tuple[Store, Campaign]:
    store = open_store(":memory:")
    reg = store.registry
    reg.put_county(County(COUNTY, "如皋市"))
    for n in (1, 2):
        reg.put_town(Town(f"t{n}", COUNTY, f"{n}号镇"))
        reg.put_branch(Branch(f"b{n}", COUNTY, f"执法{n}局"))
    for n in range(1, enterprises + 1):
        eid = f"e{n}"
        reg.put_enterprise(
            Enterprise(
                eid,
                COUNTY,
                f"企业{n}",
                f"t{1 + n % 2}",
                f"b{1 + n % 2}",
                EnterpriseCategory.AIR_CONTROL,
                list_year=2022,
                list_seq=n,
            )  # fmt: skip
        )
        reg.put_facility(Facility(f"{eid}-f", eid, "MF0001", "混料机", FacilityKind.PRODUCTION))
        for p in (1, 2):
            reg.put_point(MonitoringPoint(f"{eid}-p{p}", eid, f"{eid}-f", f"PC-{eid}-{p}", f"点位{p}",
                                          FacilityKind.PRODUCTION))  # fmt: skip
    campaign = default_campaign(COUNTY)
    store.campaign.put_campaign(campaign)
    return store, campaign


def data_days(store: Store, point_id: str, first: date, days: int, share: float = 0.98) -> None:
    """Completeness rows of `days` days from `first` at `share` of 1440 minute rows."""
    for i in range(days):
        day = first + timedelta(days=i)
        store.readings.put_completeness(
            Completeness(
                point_id,
                day,
                ReadingKind.MINUTE,
                1440,
                round(1440 * share),
                first_at=beijing(day, 9) if i == 0 else beijing(day, 0),
                last_at=beijing(day, 23),
            )  # fmt: skip
        )
