"""`python -m monitoring users …` on a real sqlite database: accounts made, listed, disabled, invited and
re-passworded, each change in the audit trail; bad input is one Chinese line and exit code 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.accounts.binding import redeem_invitation
from monitoring.accounts.service import authenticate
from monitoring.cli import run
from monitoring.storage.sqlite import open_store

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "registry"
LIST = str(FIXTURES / "rugao_2022_enterprises.csv")
PASSWORD = "Rugao-2026!"


def _run(*argv: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, list[str]]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    code = run(list(argv), out)
    return code, out.getvalue().splitlines()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "g.db")
    code, _ = _run("--db", path, "registry", "import", "--csv", LIST)
    assert code == 0
    return path


def _add(db: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[int, list[str]]:
    return _run("--db", db, "users", "add", "--password-stdin", *extra, stdin=PASSWORD + "\n", monkeypatch=monkeypatch)


def test_add_list_and_sign_in(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = _add(
        db, monkeypatch, "--username", "b1.li", "--name", "李四", "--role", "branch", "--branch", "执法一局"
    )
    assert (code, lines) == (0, ["已创建账号 b1.li（李四，执法分局）"])
    code, lines = _add(
        db, monkeypatch, "--username", "admin", "--name", "管理员", "--role", "admin", "--phone", "13800000001"
    )
    assert code == 0
    code, lines = _run("--db", db, "users", "list")
    assert code == 0 and lines[-1] == "共 2 个账号"
    assert lines[0].split() == ["用户名", "姓名", "角色", "手机", "范围", "微信", "状态"]
    assert lines[2].split() == ["b1.li", "李四", "执法分局", "-", "执法一局", "-", "正常"]
    code, lines = _run("--db", db, "users", "list", "--role", "admin", "--json")
    rows = json.loads("\n".join(lines))
    assert [r["username"] for r in rows] == ["admin"] and rows[0]["created_at"].endswith("+08:00")
    store = open_store(db)
    try:
        assert authenticate(store.accounts, "13800000001", PASSWORD, datetime.now(UTC)).username == "admin"
        records, _ = store.audit_trail.query(since=datetime.now(UTC) - timedelta(hours=1), until=datetime.now(UTC))
        assert [(r.action, r.channel, r.detail["username"]) for r in records] == [
            ("account.create", "cli", "admin"),
            ("account.create", "cli", "b1.li"),
        ]
    finally:
        store.close()


def test_disable_enable_invite_passwd(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _add(
        db,
        monkeypatch,
        "--username",
        "ent.a",
        "--name",
        "企业甲",
        "--role",
        "enterprise",
        "--enterprise",
        "江苏泰慕士针纺科技股份有限公司",
    )
    assert _run("--db", db, "users", "disable", "ent.a") == (0, ["已停用账号 ent.a，其全部登录已注销"])
    code, lines = _run("--db", db, "users", "list")
    assert lines[1].split()[-1] == "已停用"
    code, lines = _run("--db", db, "users", "invite", "ent.a")
    assert code == 2 and lines == ["错误：账号已停用，请先启用"]
    assert _run("--db", db, "users", "enable", "ent.a") == (0, ["已启用账号 ent.a"])
    code, lines = _run("--db", db, "users", "invite", "ent.a", "--hours", "24")
    assert code == 0 and lines[0].startswith("邀请码：") and "北京时间" in lines[1]
    invitation = lines[0].removeprefix("邀请码：")
    code, lines = _run(
        "--db", db, "users", "passwd", "ent.a", "--password-stdin", stdin="New-pass-2026\n", monkeypatch=monkeypatch
    )
    assert (code, lines) == (0, ["已重设 ent.a 的密码，其全部登录已注销"])
    store = open_store(db)
    try:
        now = datetime.now(UTC)
        assert redeem_invitation(store.accounts, invitation, "o-wechat", now).wechat_openid == "o-wechat"
        assert authenticate(store.accounts, "ent.a", "New-pass-2026", now).username == "ent.a"
        records, _ = store.audit_trail.query(since=now - timedelta(hours=1), until=now + timedelta(seconds=1))
        assert [r.action for r in records] == [
            "account.password",
            "account.invite",
            "account.enable",
            "account.disable",
            "account.create",
        ]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--username", "ab", "--name", "x", "--role", "admin"],
            "错误：用户名须为 3–32 位字母、数字、下划线、点或连字符",
        ),
        (
            ["--username", "abc", "--name", "x", "--role", "boss"],
            "错误：未知角色 'boss'，可选：admin、air、emergency、branch、town、enterprise、installer、viewer",
        ),
        (["--username", "abc", "--name", "x", "--role", "branch"], "错误：执法分局账号须指定所属分局"),
        (
            ["--username", "abc", "--name", "x", "--role", "branch", "--branch", "执法九局"],
            "错误：执法分局 '执法九局' 未登记",
        ),
        (
            ["--username", "abc", "--name", "x", "--role", "town", "--town", "火星镇"],
            "错误：镇（街道） '火星镇' 未登记",
        ),
        (
            ["--username", "abc", "--name", "x", "--role", "enterprise", "--enterprise", "没有这家"],
            "错误：企业 '没有这家' 未登记",
        ),
        (["--username", "abc", "--name", "x", "--role", "installer", "--terminal", "MN404"], "错误：终端 MN404 未登记"),
        (
            ["--username", "abc", "--name", "x", "--role", "admin", "--phone", "110"],
            "错误：手机号须为以 1 开头的 11 位数字",
        ),
    ],
)
def test_bad_add_is_one_line_and_exit_2(
    db: str, monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    assert _add(db, monkeypatch, *argv) == (2, [message])
    assert _run("--db", db, "users", "list")[1][-1] == "共 0 个账号"


def test_weak_password_duplicate_and_unknown_user(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["--db", db, "users", "add", "--password-stdin", "--username", "abc", "--name", "x", "--role", "viewer"]
    assert _run(*argv, stdin="12345678\n", monkeypatch=monkeypatch) == (2, ["错误：密码不能全为数字"])
    assert _run(*argv, stdin="short\n", monkeypatch=monkeypatch) == (2, ["错误：密码至少 8 位"])
    assert _run(*argv, stdin=PASSWORD + "\n", monkeypatch=monkeypatch)[0] == 0
    assert _run(
        *argv[:-6], "--username", "ABC", "--name", "y", "--role", "viewer", stdin=PASSWORD, monkeypatch=monkeypatch
    ) == (
        2,
        ["错误：用户名 ABC 已被其他账号使用"],
    )
    for action in ("disable", "enable", "invite", "passwd"):
        assert _run("--db", db, "users", action, "nobody") == (2, ["错误：账号 nobody 不存在"])
    assert _run("--db", db, "users", "invite", "abc", "--hours", "0") == (2, ["错误：有效小时数须在 1 到 720 之间"])
    assert _run("--db", db, "users", "list", "--role", "boss") == (
        2,
        ["错误：未知角色 'boss'，可选：admin、air、emergency、branch、town、enterprise、installer、viewer"],
    )


def test_prompted_password_must_match(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, lines = _run("--db", db, "users", "add", "--username", "abc", "--name", "x", "--role", "viewer")
    assert (code, lines) == (2, ["错误：两次输入的密码不一致"])


def test_first_admin_on_a_fresh_database_through_the_real_entry_point(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    argv = ["--db", str(db), "users", "add", "--username", "root", "--name", "管理员", "--role", "admin"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-m", "monitoring", *argv, "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "已创建账号 root（管理员，系统管理员）")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitoring",
            "--db",
            str(tmp_path / "other.db"),
            "users",
            "add",
            "--username",
            "x",
            "--name",
            "y",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout.strip() == "错误：用户名须为 3–32 位字母、数字、下划线、点或连字符"
    assert not (tmp_path / "other.db").exists()  # a failed first add leaves no database behind
