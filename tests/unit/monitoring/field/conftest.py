"""A small registry in memory: two enterprises, a point each, one terminal bound to nothing yet."""

from __future__ import annotations

import pytest

from monitoring.registry.models import FacilityKind
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b


@pytest.fixture
def store() -> Store:
    s = memory_store()
    b.seed_jurisdictions(s.registry)
    s.registry.put_enterprise(b.enterprise("e1"))
    s.registry.put_enterprise(b.enterprise("e2", town_id="rugao-jiangan", branch_id="rugao-b6"))
    s.registry.put_facility(b.facility("f1"))
    s.registry.put_facility(b.facility("f2", enterprise_id="e2"))
    s.registry.put_point(b.point("p1"))
    s.registry.put_point(b.point("p2", role=FacilityKind.CONTROL))
    s.registry.put_point(b.point("q1", enterprise_id="e2", facility_id="f2"))
    s.registry.put_terminal(b.terminal("MN0001"))
    return s
