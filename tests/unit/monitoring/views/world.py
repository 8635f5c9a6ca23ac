"""A small registry for the views' tests: two enterprises, one treatment line metered by one terminal."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from monitoring.clock import FixedClock
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import FacilityKind
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 14:00 Beijing time
DAY_START = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 2026-11-28 00:00 Beijing time


def world(now: datetime = NOW) -> Store:
    return seed(memory_store(clock=FixedClock(now)), now)


def seed(s: Store, now: datetime = NOW) -> Store:
    """Two towns and branches, three enterprises, one line (f1 production, f2 control) metered by MN0001."""
    b.seed_jurisdictions(s.registry)
    reg = s.registry
    reg.put_enterprise(b.enterprise("e1", name="如皋市鑫源化工有限公司", credit_code="91320682MA1MXXXX0A", list_seq=1))
    reg.put_enterprise(
        b.enterprise("e2", name="江安镇金属制品厂", town_id="rugao-jiangan", branch_id="rugao-b6", list_seq=2)
    )
    reg.put_enterprise(b.enterprise("e3", name="城北印染有限公司", list_seq=3))
    reg.put_facility(b.facility("f1", rated_power_kw=100.0))
    reg.put_facility(b.facility("f2", code="TA001", name="活性炭吸附", kind=FacilityKind.CONTROL, rated_power_kw=20.0))
    reg.put_point(b.point("p1", mn="MN0001", channel="01"))
    reg.put_point(b.point("p2", facility_id="f2", role=FacilityKind.CONTROL, mn="MN0001", channel="02"))
    reg.put_association(b.association("a1"))
    reg.put_terminal(b.terminal("MN0001", enterprise_id="e1", online=True, last_frame_at=now - timedelta(minutes=1)))
    reg.put_terminal(b.terminal("MN0002", enterprise_id="e2", online=True, last_frame_at=now - timedelta(hours=2)))
    return s


def minutes(point_id: str, start: datetime, count: int, **values: float) -> list[Reading]:
    return [
        Reading(point_id, start + timedelta(minutes=m), ReadingKind.MINUTE, {k: float(v) for k, v in values.items()})
        for m in range(count)
    ]


def put(store: Store, readings: Iterable[Reading]) -> None:
    store.readings.put_readings(list(readings))
