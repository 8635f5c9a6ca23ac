"""Contract: random-inspection pools, draws and checks are versioned documents (a stale or duplicate write is a
ConflictError), found by key and listed by county, branch, period and draw."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from monitoring.errors import ConflictError, NotFoundError
from monitoring.random_checks.models import (
    ALGORITHM,
    Check,
    Conclusion,
    Draw,
    Exclusion,
    Finding,
    FindingItem,
    InspectionRecord,
    InspectorPool,
    check_id_of,
    draw_id_of,
)
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract


def _draw(branch: str = "b1", period: str = "2026-12", generation: int = 1, **changes: object) -> Draw:
    draw = Draw(
        draw_id=draw_id_of(branch, period, generation), county_id="c1", branch_id=branch, period=period,
        generation=generation, n=2, seed="seed-0001", algorithm=ALGORITHM, candidates=("e1", "e2", "e3"),
        excluded=(Exclusion("e9", "豁免：长期停产"),), pool=("a1", "a2", "a3"), drawn=("e3", "e1"), drawn_at=NOW,
        drawn_by="a0", reason="" if generation == 1 else "名单有误", supersedes="" if generation == 1 else "x",
    )  # fmt: skip
    return dataclasses.replace(draw, **changes)  # type: ignore[arg-type]


def test_pools_are_versioned_per_branch(store: Store) -> None:
    assert store.random_checks.get_pool("c1", "b1") is None
    pool = store.random_checks.put_pool(InspectorPool("c1", "b1", ("a1", "a2"), NOW, "a0"))
    assert pool.version == 1 and store.random_checks.get_pool("c1", "b1") == pool
    with pytest.raises(ConflictError):  # a second first write
        store.random_checks.put_pool(InspectorPool("c1", "b1", ("a3",), NOW, "a0"))
    changed = store.random_checks.put_pool(dataclasses.replace(pool, account_ids=("a2", "a3")))
    assert changed.version == 2
    with pytest.raises(ConflictError):  # stale
        store.random_checks.put_pool(dataclasses.replace(pool, account_ids=("a1",)))
    assert store.random_checks.get_pool("c1", "b1") == changed and store.random_checks.get_pool("c1", "b2") is None


def test_a_draw_slot_is_taken_once_and_draws_list_in_order(store: Store) -> None:
    first = store.random_checks.put_draw(_draw())
    with pytest.raises(ConflictError):  # the same branch and period again: the id is taken
        store.random_checks.put_draw(_draw(seed="other-seed"))
    store.random_checks.put_draw(_draw(period="2026-11"))
    store.random_checks.put_draw(_draw(branch="b2"))
    assert store.random_checks.get_draw(first.draw_id) == first
    assert [d.draw_id for d in store.random_checks.list_draws("c1")] == [
        "rcd.b1.2026-11.1", "rcd.b1.2026-12.1", "rcd.b2.2026-12.1",
    ]  # fmt: skip
    assert [d.draw_id for d in store.random_checks.list_draws("c1", branch_id="b1", period="2026-12")] == [
        first.draw_id
    ]
    assert store.random_checks.list_draws("c2") == []
    marked = store.random_checks.put_draw(dataclasses.replace(first, superseded_by="rcd.b1.2026-12.2"))
    assert store.random_checks.get_draw(first.draw_id).superseded_by == "rcd.b1.2026-12.2" and marked.version == 2
    with pytest.raises(NotFoundError):
        store.random_checks.get_draw("rcd.b9.2026-12.1")


def test_checks_keep_their_record_and_refuse_stale_writes(store: Store) -> None:
    draw = store.random_checks.put_draw(_draw())
    with pytest.raises(NotFoundError):  # a check of no stored draw
        store.random_checks.put_check(Check(check_id_of("rcd.b7.2026-12.1", "e1"), "rcd.b7.2026-12.1", "c1", "b7",
                                            "2026-12", "e1", ("a1", "a2")))  # fmt: skip
    checks = [
        store.random_checks.put_check(
            Check(check_id_of(draw.draw_id, e), draw.draw_id, "c1", "b1", "2026-12", e, ("a1", "a2"))
        )  # fmt: skip
        for e in ("e3", "e1")
    ]
    assert store.random_checks.checks_of(draw.draw_id) == sorted(checks, key=lambda c: c.check_id)
    record = InspectionRecord(
        conclusion=Conclusion.ISSUES, findings=(Finding(FindingItem.OPERATION, False, "治理设施未开"),),
        text="现场治理设施停运", photo_ids=("ph-" + "a" * 32,), alarm_ids=("al-1",), inspectors=("a1", "a2"),
        inspected_at=NOW + timedelta(days=1), recorded_by="a1", recorded_at=NOW + timedelta(days=1, minutes=5),
    )  # fmt: skip
    done = store.random_checks.put_check(dataclasses.replace(checks[0], record=record))
    assert store.random_checks.get_check(checks[0].check_id).record == record and done.version == 2
    with pytest.raises(ConflictError):  # written from the stale version: the record is not overwritten
        store.random_checks.put_check(dataclasses.replace(checks[0], record=dataclasses.replace(record, text="改")))
    assert store.random_checks.get_check(checks[0].check_id).record == record
    with pytest.raises(NotFoundError):
        store.random_checks.get_check("rcd.b1.2026-12.1.e7")
