"""The random-inspection service on a real sqlite store: reproducible draws, exclusions, two inspectors from the
pool, one draw per branch and period, audited redo with a reason, records by the assigned inspectors only,
statuses (待检查 / 已检查 / 逾期 / 已作废) and verification of a stored draw."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.accounts.models import Account, Role
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.random_checks import service
from monitoring.random_checks.drawing import draw_enterprises, rank_key
from monitoring.random_checks.models import CheckStatus, Conclusion, Finding, FindingItem, period_bounds
from monitoring.registry.models import Exemption, ExemptionReason
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.contract.storage.builders import enterprise, seed_jurisdictions

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
INSPECTORS = ("insp-1", "insp-2", "insp-3", "insp-4")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "rc.db")
    seed_jurisdictions(s.registry)
    for i in range(12):
        s.registry.put_enterprise(enterprise(f"e{i:02d}"))
    s.registry.put_enterprise(enterprise("e90", exemption=Exemption(ExemptionReason.LONG_TERM_SHUTDOWN, "大气科", NOW)))
    s.registry.put_enterprise(enterprise("e91", branch_id="rugao-b6"))
    for a in INSPECTORS:
        s.accounts.put_account(Account(a, a, f"执法员{a}", Role.BRANCH, "rugao", branch_id="rugao-b1"))
    s.accounts.put_account(Account("other-b", "other-b", "六局", Role.BRANCH, "rugao", branch_id="rugao-b6"))
    s.accounts.put_account(Account("town-1", "town-1", "镇", Role.TOWN, "rugao", town_id="rugao-chengbei"))
    service.set_pool(s, "rugao", "rugao-b1", INSPECTORS, by="admin", now=NOW)
    yield s
    s.close()


def test_the_draw_is_the_documented_hash_ranking_and_ignores_input_order() -> None:
    candidates = [f"e{i:02d}" for i in range(12)]
    expected = tuple(sorted(candidates, key=lambda e: rank_key("seed-aaaa", e))[:4])
    assert draw_enterprises("seed-aaaa", candidates, 4) == expected
    assert draw_enterprises("seed-aaaa", list(reversed(candidates)), 4) == expected
    assert len(draw_enterprises("seed-aaaa", candidates, 50)) == 12  # N above the candidates: all of them


def test_same_seed_same_draw_and_a_different_seed_differs(store: Store, tmp_path: Path) -> None:
    draw, checks = service.make_draw(store, "rugao", "rugao-b1", "2026-12", 4, by="admin", now=NOW, seed="seed-0001")
    twin = open_store(tmp_path / "twin.db")
    seed_jurisdictions(twin.registry)
    for e in reversed(store.registry.list_enterprises("rugao")):  # other insertion order, same enterprises
        twin.registry.put_enterprise(dataclasses.replace(e, version=0))
    for a in INSPECTORS:
        twin.accounts.put_account(Account(a, a, f"执法员{a}", Role.BRANCH, "rugao", branch_id="rugao-b1"))
    service.set_pool(twin, "rugao", "rugao-b1", tuple(reversed(INSPECTORS)), by="admin", now=NOW)
    again, again_checks = service.make_draw(twin, "rugao", "rugao-b1", "2026-12", 4, by="x", now=NOW, seed="seed-0001")
    assert again.drawn == draw.drawn and [c.inspectors for c in again_checks] == [c.inspectors for c in checks]
    other, _ = service.make_draw(twin, "rugao", "rugao-b1", "2027-01", 4, by="x", now=NOW, seed="seed-0002")
    assert other.drawn != draw.drawn
    twin.close()


def test_exempt_and_other_branches_enterprises_are_never_drawn(store: Store) -> None:
    draw, checks = service.make_draw(store, "rugao", "rugao-b1", "2026-Q4", 50, by="admin", now=NOW, seed="seed-0003")
    assert set(draw.drawn) == {f"e{i:02d}" for i in range(12)} and len(checks) == 12
    assert [(x.enterprise_id, x.reason) for x in draw.excluded] == [("e90", "豁免：长期停产")]
    assert "e91" not in draw.candidates
    for c in checks:  # two different inspectors of the pool on every check
        assert len(set(c.inspectors)) == 2 and set(c.inspectors) <= set(INSPECTORS)


def test_a_pool_holds_only_enabled_accounts_of_the_branch_and_a_draw_needs_two(store: Store) -> None:
    for bad in (["other-b"], ["town-1"], ["nobody"]):
        with pytest.raises(InvalidInputError):
            service.set_pool(store, "rugao", "rugao-b1", bad, by="admin", now=NOW)
    service.set_pool(store, "rugao", "rugao-b1", ["insp-1"], by="admin", now=NOW)
    with pytest.raises(InvalidInputError, match="不足 2 人"):
        service.make_draw(store, "rugao", "rugao-b1", "2026-12", 3, by="admin", now=NOW)
    assert store.random_checks.list_draws("rugao") == []  # nothing half-written


def test_a_draw_is_not_silently_redone_and_a_redo_keeps_both(store: Store) -> None:
    first, _ = service.make_draw(store, "rugao", "rugao-b1", "2026-12", 3, by="admin", now=NOW, seed="seed-0001")
    with pytest.raises(ConflictError):
        service.make_draw(store, "rugao", "rugao-b1", "2026-12", 3, by="admin", now=NOW, seed="seed-0009")
    with pytest.raises(InvalidInputError):
        service.redo_draw(store, first.draw_id, "  ", by="admin", now=NOW)
    with pytest.raises(InvalidInputError):  # the same seed would give the same draw
        service.redo_draw(store, first.draw_id, "名单更新", by="admin", now=NOW, seed="seed-0001")
    redo, _ = service.redo_draw(store, first.draw_id, "名单更新", by="admin", now=NOW, seed="seed-0002")
    assert redo.generation == 2 and redo.supersedes == first.draw_id and redo.reason == "名单更新"
    old = store.random_checks.get_draw(first.draw_id)
    assert old.superseded_by == redo.draw_id and old.drawn == first.drawn
    with pytest.raises(ConflictError):
        service.redo_draw(store, first.draw_id, "再来", by="admin", now=NOW)
    void = service.checks_view(store, "rugao", now=NOW, include_void=True)
    assert {v.status for v in void if v.draw.draw_id == first.draw_id} == {CheckStatus.VOID}
    assert {v.draw.draw_id for v in service.checks_view(store, "rugao", now=NOW)} == {redo.draw_id}
    assert service.verify_draw(store, first.draw_id) == [] and service.verify_draw(store, redo.draw_id) == []


def test_records_by_the_assigned_inspectors_once_and_statuses(store: Store) -> None:
    draw, checks = service.make_draw(store, "rugao", "rugao-b1", "2026-12", 3, by="admin", now=NOW, seed="seed-0001")
    check = checks[0]
    outsider = next(a for a in INSPECTORS if a not in check.inspectors)
    kwargs = dict(conclusion=Conclusion.COMPLIANT, findings=[Finding(FindingItem.OPERATION, True)], text="正常",
                  photo_ids=[], alarm_ids=[], inspected_at=NOW + timedelta(hours=2), by_admin=False,
                  now=NOW + timedelta(hours=3))  # fmt: skip
    with pytest.raises(ConflictError, match="指派"):
        service.record_inspection(store, check.check_id, by=outsider, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):  # an alarm that is not this enterprise's
        service.record_inspection(store, check.check_id, by=check.inspectors[0], **(kwargs | {"alarm_ids": ["nope"]}))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):  # before the draw
        service.record_inspection(store, check.check_id, by=check.inspectors[0],
                                  **(kwargs | {"inspected_at": NOW - timedelta(days=1)}))  # type: ignore[arg-type]  # fmt: skip
    done = service.record_inspection(store, check.check_id, by=check.inspectors[1], **kwargs)  # type: ignore[arg-type]
    assert done.record is not None and done.record.inspectors == check.inspectors
    with pytest.raises(ConflictError, match="重复"):
        service.record_inspection(store, check.check_id, by=check.inspectors[0], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConflictError):  # a draw with a record cannot be redone
        service.redo_draw(store, draw.draw_id, "想换", by="admin", now=NOW)
    after = datetime.combine(period_bounds("2026-12")[1], datetime.min.time(), UTC) + timedelta(days=1)
    statuses = {v.check.check_id: v.status for v in service.checks_view(store, "rugao", now=after)}
    assert statuses[check.check_id] is CheckStatus.DONE
    assert {statuses[c.check_id] for c in checks[1:]} == {CheckStatus.OVERDUE}
    during = {v.status for v in service.checks_view(store, "rugao", now=NOW) if v.check.check_id != check.check_id}
    assert during == {CheckStatus.PENDING}
    mine = service.checks_view(store, "rugao", inspector=check.inspectors[0], now=NOW)
    assert all(check.inspectors[0] in v.check.inspectors for v in mine) and mine


def test_a_tampered_draw_fails_verification(store: Store) -> None:
    draw, _ = service.make_draw(store, "rugao", "rugao-b1", "2026-12", 3, by="admin", now=NOW, seed="seed-0001")
    stored = store.random_checks.get_draw(draw.draw_id)
    swapped = tuple(sorted(set(stored.candidates) - set(stored.drawn)))[:1] + stored.drawn[1:]
    store.random_checks.put_draw(dataclasses.replace(stored, drawn=swapped))
    assert service.verify_draw(store, draw.draw_id)


def test_periods() -> None:
    assert [str(d) for d in period_bounds("2026-Q4")] == ["2026-10-01", "2026-12-31"]
    assert [str(d) for d in period_bounds("2026-02")] == ["2026-02-01", "2026-02-28"]
    for bad in ("2026-13", "2026-Q5", "26-01", "", "2026-1"):
        with pytest.raises(InvalidInputError):
            period_bounds(bad)


def test_check_ids_stay_ids_and_distinct_for_long_enterprise_ids() -> None:
    from monitoring.random_checks.models import check_id_of
    from monitoring.registry.models import check_id

    draw = "rcd.rugao-b1.2026-12.1"
    long_a, long_b = "e" * 120 + "a", "e" * 120 + "b"
    assert check_id_of(draw, "e1") == f"{draw}.e1"
    ids = {check_id_of(draw, long_a), check_id_of(draw, long_b)}
    assert len(ids) == 2 and all(check_id(i, "check_id") and len(i) <= 128 for i in ids)
