"""Editing one enterprise's measures: own producing points only, bounded shares and hours, clear by empty."""

from __future__ import annotations

import pytest

from monitoring.emergency.measures_edit import set_measures
from monitoring.emergency.models import Level, LevelMeasures
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.registry.models import FacilityKind
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.contract.storage.builders import enterprise, facility, point, seed_jurisdictions

pytestmark = pytest.mark.unit


def _store() -> Store:
    store = memory_store()
    seed_jurisdictions(store.registry)
    store.registry.put_enterprise(enterprise("e1"))
    store.registry.put_enterprise(enterprise("e2"))
    store.registry.put_facility(facility("f1"))
    store.registry.put_facility(facility("f2", kind=FacilityKind.CONTROL, code="TA0001"))
    store.registry.put_point(point("p1"))
    store.registry.put_point(point("c1", facility_id="f2", role=FacilityKind.CONTROL))
    store.registry.put_point(point("x1", enterprise_id="e2"))
    return store


def test_measures_are_stored_normalised_and_cleared_by_an_empty_set() -> None:
    store = _store()
    got = set_measures(
        store.registry, store.emergency, "e1", {Level.ORANGE: LevelMeasures(("p1", "p1"), 0.6, ((14, 18), (8, 12)))}
    )
    assert got.levels[Level.ORANGE] == LevelMeasures(("p1",), 0.6, ((8, 12), (14, 18)))
    assert store.emergency.measures()["e1"] == got
    set_measures(store.registry, store.emergency, "e1", {})
    assert store.emergency.measures()["e1"].levels == {}


@pytest.mark.parametrize(
    ("measures", "words"),
    [
        (LevelMeasures(("x1",)), "不属于该企业"),
        (LevelMeasures(("c1",)), "不是产污"),
        (LevelMeasures((), 1.5), "0 到 1"),
        (LevelMeasures((), None, ((12, 8),)), "起点须早于终点"),
        (LevelMeasures(), "至少填写一项"),
    ],
)
def test_bad_measures_are_refused_in_chinese(measures: LevelMeasures, words: str) -> None:
    store = _store()
    with pytest.raises(InvalidInputError, match=words):
        set_measures(store.registry, store.emergency, "e1", {Level.RED: measures})
    assert store.emergency.measures() == {}


def test_unknown_enterprise_is_not_found() -> None:
    store = _store()
    with pytest.raises(NotFoundError):
        set_measures(store.registry, store.emergency, "nobody", {})
