"""Random inspections over the store: keep a branch's inspector pool, draw (once per branch and period; a redo
is a new draw with a reason), record an inspection, list checks with their status, and verify a stored draw.
The caller audits (API: the framework's entry; CLI: its own), with the detail built here."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitoring.accounts.models import Role
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.random_checks.drawing import assign_inspectors, draw_enterprises, recompute, split_candidates
from monitoring.random_checks.models import (
    ALGORITHM,
    Check,
    CheckStatus,
    Conclusion,
    Draw,
    Finding,
    InspectionRecord,
    InspectorPool,
    check_id_of,
    check_seed,
    draw_id_of,
    period_bounds,
)
from monitoring.storage.ports import Store


def set_pool(
    store: Store, county_id: str, branch_id: str, account_ids: Sequence[str], *, by: str, now: datetime
) -> InspectorPool:
    """Replace the branch's pool; every member must be an enabled branch account of that branch."""
    store.registry.get_branch(branch_id)
    for account_id in account_ids:
        account = store.accounts.find_account(account_id)
        if account is None or account.county_id != county_id:
            raise InvalidInputError(f"账号 {account_id} 不存在")
        if account.role is not Role.BRANCH or account.branch_id != branch_id or account.disabled:
            raise InvalidInputError(f"账号 {account_id}（{account.display_name}）不是本分局在用的执法人员账号")
    found = store.random_checks.get_pool(county_id, branch_id)
    pool = InspectorPool(county_id, branch_id, tuple(dict.fromkeys(account_ids)), now, by,
                         version=found.version if found else 0)  # fmt: skip
    return store.random_checks.put_pool(pool)


def _active_pool(store: Store, county_id: str, branch_id: str) -> tuple[str, ...]:
    pool = store.random_checks.get_pool(county_id, branch_id)
    members = pool.account_ids if pool else ()
    active = []
    for account_id in members:  # a member disabled or moved since the pool was set is not drawn
        account = store.accounts.find_account(account_id)
        if account is not None and not account.disabled and account.branch_id == branch_id:
            active.append(account_id)
    return tuple(sorted(active))


def _build(
    store: Store, county_id: str, branch_id: str, period: str, n: int, seed: str, generation: int,
    by: str, now: datetime, reason: str = "", supersedes: str = "",
) -> tuple[Draw, list[Check]]:  # fmt: skip
    store.registry.get_branch(branch_id)
    candidates, excluded = split_candidates(store.registry.list_enterprises(county_id, branch_id=branch_id))
    if not candidates:
        raise InvalidInputError("该分局没有可抽取的企业")
    pool = _active_pool(store, county_id, branch_id)
    drawn = draw_enterprises(seed, candidates, n)
    pairs = {eid: assign_inspectors(seed, eid, pool) for eid in drawn}
    draw = Draw(
        draw_id=draw_id_of(branch_id, period, generation), county_id=county_id, branch_id=branch_id, period=period,
        generation=generation, n=n, seed=seed, algorithm=ALGORITHM, candidates=candidates, excluded=excluded,
        pool=pool, drawn=drawn, drawn_at=now, drawn_by=by, reason=reason.strip(), supersedes=supersedes,
    )  # fmt: skip
    checks = [Check(check_id_of(draw.draw_id, eid), draw.draw_id, county_id, branch_id, period, eid, pairs[eid])
              for eid in drawn]  # fmt: skip
    return draw, checks


def _save(store: Store, draw: Draw, checks: Sequence[Check]) -> tuple[Draw, list[Check]]:
    """The draw first (its id claims the branch's period), then its checks; one transaction on sqlite."""
    with store.batch():
        stored = store.random_checks.put_draw(draw)
        return stored, [store.random_checks.put_check(c) for c in checks]


def new_seed() -> str:
    return secrets.token_hex(16)


def make_draw(
    store: Store, county_id: str, branch_id: str, period: str, n: int, *, by: str, now: datetime,
    seed: str | None = None,
) -> tuple[Draw, list[Check]]:  # fmt: skip
    """The branch's draw for the period; ConflictError if it has one already (redo it instead, with a reason)."""
    period_bounds(period)
    existing = store.random_checks.list_draws(county_id, branch_id=branch_id, period=period)
    if existing:
        raise ConflictError(f"该分局 {period} 已抽取（批次 {existing[-1].draw_id}），如需重抽请说明理由后重新抽取")
    draw, checks = _build(store, county_id, branch_id, period, n, check_seed(seed or new_seed()), 1, by, now)
    return _save(store, draw, checks)


def redo_draw(
    store: Store, draw_id: str, reason: str, *, by: str, now: datetime, seed: str | None = None
) -> tuple[Draw, list[Check]]:
    """A new draw for the same branch, period and N with a new seed and the reason; the old one is marked
    superseded (its checks void). Refused once a check of it was recorded or it was redone already."""
    old = store.random_checks.get_draw(draw_id)
    if old.superseded_by:
        raise ConflictError(f"批次 {draw_id} 已被重新抽取（{old.superseded_by}）")
    if any(c.record is not None for c in store.random_checks.checks_of(draw_id)):
        raise ConflictError(f"批次 {draw_id} 已有检查记录，不能重新抽取")
    if not reason.strip():
        raise InvalidInputError("重新抽取必须说明理由")
    new = check_seed(seed or new_seed())
    if new == old.seed:
        raise InvalidInputError("重新抽取须使用新的随机种子")
    draw, checks = _build(store, old.county_id, old.branch_id, old.period, old.n, new, old.generation + 1, by, now,
                          reason=reason, supersedes=old.draw_id)  # fmt: skip
    with store.batch():
        stored = _save(store, draw, checks)
        store.random_checks.put_draw(dataclasses.replace(old, superseded_by=draw.draw_id))
    return stored


def record_inspection(
    store: Store, check_id: str, *, conclusion: Conclusion, findings: Sequence[Finding], text: str,
    photo_ids: Sequence[str], alarm_ids: Sequence[str], inspected_at: datetime, by: str, by_admin: bool,
    now: datetime,
) -> Check:  # fmt: skip
    """Write the check's record once. Only its inspectors (or an admin) record; photos and alarms cited must be
    the enterprise's; the visit lies between the draw and now."""
    check = store.random_checks.get_check(check_id)
    draw = store.random_checks.get_draw(check.draw_id)
    if draw.superseded_by:
        raise ConflictError("该抽查批次已重新抽取，此任务已作废")
    if check.record is not None:
        raise ConflictError("该企业的抽查已记录，不能重复记录")
    if not by_admin and by not in check.inspectors:
        raise ConflictError("只有指派的检查人员可以记录本次抽查")
    if inspected_at > now or inspected_at < draw.drawn_at:
        raise InvalidInputError("检查时间须在抽取之后、现在之前")
    for photo_id in photo_ids:
        try:
            owner = store.photos.get_photo(photo_id).enterprise_id
        except NotFoundError:
            owner = None
        if owner != check.enterprise_id:
            raise InvalidInputError(f"照片 {photo_id} 不存在或不属于该企业")
    for alarm_id in alarm_ids:
        try:
            owner = store.alarms.get(alarm_id).enterprise_id
        except NotFoundError:
            owner = None
        if owner != check.enterprise_id:
            raise InvalidInputError(f"报警 {alarm_id} 不存在或不属于该企业")
    record = InspectionRecord(
        conclusion=conclusion, findings=tuple(findings), text=text.strip(), photo_ids=tuple(dict.fromkeys(photo_ids)),
        alarm_ids=tuple(dict.fromkeys(alarm_ids)), inspectors=check.inspectors, inspected_at=inspected_at,
        recorded_by=by, recorded_at=now,
    )  # fmt: skip
    return store.random_checks.put_check(dataclasses.replace(check, record=record))


@dataclass(frozen=True)
class CheckView:
    check: Check
    draw: Draw
    status: CheckStatus
    enterprise_name: str


def checks_view(
    store: Store, county_id: str, *, branch_id: str | None = None, period: str | None = None,
    inspector: str | None = None, visible: Collection[str] | None = None, now: datetime,
    include_void: bool = False,
) -> list[CheckView]:  # fmt: skip
    """The checks of the county's draws (filtered), each with its status; `visible`: only those enterprises."""
    found = []
    for draw in store.random_checks.list_draws(county_id, branch_id=branch_id, period=period):
        if draw.superseded_by and not include_void:
            continue
        for check in store.random_checks.checks_of(draw.draw_id):
            if inspector is not None and inspector not in check.inspectors:
                continue
            if visible is not None and check.enterprise_id not in visible:
                continue
            found.append(view_of(store, check, draw, now))
    return found


def view_of(store: Store, check: Check, draw: Draw, now: datetime) -> CheckView:
    enterprise = store.registry.find_enterprise(check.enterprise_id)
    return CheckView(check, draw, check.status(now, draw), enterprise.name if enterprise else check.enterprise_id)


def verify_draw(store: Store, draw_id: str) -> list[str]:
    """Recompute the draw from its recorded inputs; the differences from what is stored (empty: it holds)."""
    draw = store.random_checks.get_draw(draw_id)
    drawn, pairs = recompute(draw)
    problems = []
    if drawn != draw.drawn:
        problems.append("抽取结果与种子和候选名单重算的结果不一致")
    checks = {c.enterprise_id: c for c in store.random_checks.checks_of(draw_id)}
    if set(checks) != set(drawn):
        problems.append("抽查任务与抽取结果不一致")
    for eid, pair in pairs.items():
        if eid in checks and checks[eid].inspectors != pair:
            problems.append(f"企业 {eid} 的检查人员与重算结果不一致")
    return problems


def _digest(ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()


def draw_audit_detail(draw: Draw, checks: Sequence[Check]) -> dict[str, Any]:
    """The draw's inputs and result for the audit trail: the seed and algorithm, the candidates' and the
    result's SHA-256 (the lists themselves are on the draw), exclusions, the pool and the pairs (small draws)."""
    detail: dict[str, Any] = {
        "period": draw.period, "branch_id": draw.branch_id, "generation": draw.generation, "n": draw.n,
        "seed": draw.seed, "algorithm": draw.algorithm, "candidates": len(draw.candidates),
        "candidates_sha256": _digest(draw.candidates), "drawn_sha256": _digest(draw.drawn),
        "excluded": [[x.enterprise_id, x.reason] for x in draw.excluded[:40]], "pool": list(draw.pool[:40]),
    }  # fmt: skip
    if draw.supersedes:
        detail |= {"supersedes": draw.supersedes, "reason": draw.reason}
    if len(checks) <= 30:
        detail["checks"] = {c.enterprise_id: list(c.inspectors) for c in checks}
    return detail
