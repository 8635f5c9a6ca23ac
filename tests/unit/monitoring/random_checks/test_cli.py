"""`python -m monitoring random-checks …` on a real sqlite file: pool, draw (reproducible from --seed), a refused
second draw, redo with a reason, record, verify; each change on the audit trail with its inputs."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from monitoring.accounts.models import Account, Role
from monitoring.cli import run
from monitoring.storage.sqlite import open_store
from tests.contract.storage.builders import enterprise, seed_jurisdictions


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "g.db"
    store = open_store(path)
    seed_jurisdictions(store.registry)
    for i in range(8):
        store.registry.put_enterprise(enterprise(f"e{i}"))
    for name in ("zhang", "liu", "wang"):
        store.accounts.put_account(Account(f"acct-{name}", name, name, Role.BRANCH, "rugao", branch_id="rugao-b1"))
    store.close()
    return path


def _run(db: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(["--db", str(db), "random-checks", *argv], out)
    return code, out.getvalue()


def test_cli_draws_records_and_audits(tmp_path: Path) -> None:
    db = _db(tmp_path)
    code, text = _run(db, "pool", "--branch", "执法一局", "--account", "zhang", "--account", "liu", "--account", "wang")
    assert code == 0 and "3 人" in text
    code, text = _run(db, "draw", "--branch", "执法一局", "--period", "2026-12", "--n", "3", "--seed", "seed-cli-1")
    assert code == 0 and "种子 seed-cli-1" in text and "抽取 3/8 家" in text
    code, again = _run(db, "draw", "--branch", "rugao-b1", "--period", "2026-12", "--n", "3")
    assert code == 1 and "已抽取" in again
    assert _run(db, "verify", "rcd.rugao-b1.2026-12.1")[0] == 0
    code, redo = _run(db, "redo", "rcd.rugao-b1.2026-12.1", "--reason", "企业名单更新", "--seed", "seed-cli-2")
    assert code == 0 and "重新抽取理由：企业名单更新" in redo
    store = open_store(db)
    check = store.random_checks.checks_of("rcd.rugao-b1.2026-12.2")[0]
    inspector = store.accounts.get_account(check.inspectors[0]).username
    store.close()
    code, text = _run(db, "record", check.check_id, "--by", inspector, "--conclusion", "存在问题",
                      "--finding", "operation=问题:治理设施停运", "--text", "现场停运")  # fmt: skip
    assert code == 0, text
    code, text = _run(db, "list", "--branch", "执法一局")
    assert "已作废" in text and "已检查" in text and "结论：存在问题" in text
    store = open_store(db)
    since, until = datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    records, _ = store.audit_trail.query(since=since, until=until, limit=50)
    actions = [r.action for r in reversed(records)]
    assert actions == ["random_checks.pool", "random_checks.draw", "random_checks.redo", "random_checks.record"]
    draw_entry = next(r for r in records if r.action == "random_checks.draw")
    assert draw_entry.detail["seed"] == "seed-cli-1" and draw_entry.detail["candidates"] == 8
    redo_entry = next(r for r in records if r.action == "random_checks.redo")
    assert redo_entry.detail["reason"] == "企业名单更新" and redo_entry.detail["supersedes"].endswith(".1")
    store.close()


def test_cli_refuses_bad_input(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert _run(db, "pool", "--branch", "执法九局", "--account", "zhang")[0] == 1
    code, text = _run(db, "draw", "--branch", "执法一局", "--period", "2026-13", "--n", "3")
    assert code == 2 and "周期格式" in text
    code, text = _run(db, "draw", "--branch", "执法一局", "--period", "2026-12", "--n", "3")  # no pool yet
    assert code == 2 and "不足 2 人" in text
