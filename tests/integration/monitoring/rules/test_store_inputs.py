"""The rules' topology from a real sqlite registry: a point planned by the survey with no terminal bound yet
(调试, no MN) is not watched, while a running point whose terminal is missing still is (it raises offline)."""

from __future__ import annotations

from monitoring.registry.models import PointStatus
from monitoring.rules.store_inputs import load_topology
from monitoring.storage.sqlite import open_store
from tests.contract.storage import builders as b


def test_only_a_planned_point_without_a_terminal_is_left_out() -> None:
    store = open_store(":memory:")
    reg = store.registry
    b.seed_jurisdictions(reg)
    reg.put_enterprise(b.enterprise("e1"))
    reg.put_facility(b.facility("f1"))
    reg.put_terminal(b.terminal("MN0001", enterprise_id="e1"))
    reg.put_point(b.point("bound", mn="MN0001", channel="01", status=PointStatus.RUNNING))
    reg.put_point(b.point("commissioning", mn="MN0001", channel="02", status=PointStatus.COMMISSIONING))
    reg.put_point(b.point("lost", status=PointStatus.RUNNING))  # its terminal reports under an unknown MN
    reg.put_point(b.point("planned", status=PointStatus.COMMISSIONING))  # surveyed, not installed
    reg.put_point(b.point("off", mn="MN0001", channel="03", status=PointStatus.DISABLED))
    terminals = {t.mn: t for t in reg.list_terminals("rugao")}
    topology, _ = load_topology(reg, reg.list_enterprises("rugao"), terminals)
    assert sorted(p.id for p in topology.points_of("e1")) == ["bound", "commissioning", "lost"]
