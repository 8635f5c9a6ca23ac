"""The demo's draws: one per branch for the start's month and the month before, the same on every run (seeded
from branch and period), the demo branch account in its branch's pool, a re-run makes nothing new."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from local.demo.random_checks import demo_seed, ensure_demo_random_checks
from monitoring.accounts.models import Account, Role
from monitoring.random_checks.models import CheckStatus
from monitoring.random_checks.service import checks_view
from monitoring.storage.sqlite import open_store
from tests.contract.storage.builders import enterprise, seed_jurisdictions

START = datetime(2026, 11, 30, 8, 0)


def _draws(path: Path) -> dict[str, tuple[str, ...]]:
    store = open_store(path)
    seed_jurisdictions(store.registry)
    for i in range(6):
        store.registry.put_enterprise(enterprise(f"e{i}", branch_id="rugao-b1" if i < 4 else "rugao-b6"))
    store.accounts.put_account(Account("demo-b", "demo_branch", "演示", Role.BRANCH, "rugao", branch_id="rugao-b1"))
    assert ensure_demo_random_checks(store, START, branch_user="demo_branch") == 4
    assert ensure_demo_random_checks(store, START, branch_user="demo_branch") == 0
    draws = {d.draw_id: d.drawn for d in store.random_checks.list_draws("rugao")}
    pool = store.random_checks.get_pool("rugao", "rugao-b1")
    assert pool is not None and "demo-b" in pool.account_ids
    statuses = {v.status for v in checks_view(store, "rugao", period="2026-10", now=datetime(2026, 11, 30, tzinfo=UTC))}
    assert statuses == {CheckStatus.DONE, CheckStatus.OVERDUE}
    assert store.random_checks.get_draw("rcd.rugao-b1.2026-11.1").seed == demo_seed("rugao-b1", "2026-11")
    store.close()
    return draws


def test_demo_draws_are_deterministic(tmp_path: Path) -> None:
    first, second = _draws(tmp_path / "a.db"), _draws(tmp_path / "b.db")
    assert first == second and sorted(first) == [
        "rcd.rugao-b1.2026-10.1", "rcd.rugao-b1.2026-11.1", "rcd.rugao-b6.2026-10.1", "rcd.rugao-b6.2026-11.1",
    ]  # fmt: skip
