"""Enterprise names for lists: read once per period, a rename seen after it, unknown ids answered as themselves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from monitoring.registry.models import Enterprise
from monitoring.storage.ports import Store
from monitoring.views.names import EnterpriseNames
from tests.unit.monitoring.views.world import world

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def counting(store: Store, reads: list[str]) -> Callable[[str], Enterprise | None]:
    def find(eid: str) -> Enterprise | None:
        reads.append(eid)
        return store.registry.find_enterprise(eid)

    return find


def test_names_are_read_once_per_period_and_a_rename_shows_after_it() -> None:
    store, clock, reads = world(), Clock(), list[str]()
    names = EnterpriseNames(60.0, clock=clock)
    find = counting(store, reads)
    first = names.names(find, ["e1", "e2"])
    assert first == {"e1": "如皋市鑫源化工有限公司", "e2": "江安镇金属制品厂"}
    store.registry.put_enterprise(replace(store.registry.get_enterprise("e1"), name="如皋市新名称有限公司"))
    clock.t = 59.0
    assert names.names(find, ["e1"]) == {"e1": "如皋市鑫源化工有限公司"}  # within the stated minute
    assert sorted(reads) == ["e1", "e2"]
    clock.t = 60.5
    assert names.names(find, ["e1", "e2"]) == {"e1": "如皋市新名称有限公司", "e2": "江安镇金属制品厂"}
    assert sorted(reads) == ["e1", "e1", "e2", "e2"]


def test_an_unknown_id_is_its_own_name_and_is_asked_again() -> None:
    store, reads = world(), list[str]()
    names = EnterpriseNames(60.0, clock=Clock())
    find = counting(store, reads)
    assert names.names(find, ["nobody"]) == {"nobody": "nobody"}
    assert names.names(find, ["nobody"]) == {"nobody": "nobody"}
    assert reads == ["nobody", "nobody"]  # registered later, it is named at once
