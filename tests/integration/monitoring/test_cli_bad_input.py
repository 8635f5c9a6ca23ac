"""`python -m monitoring` answers bad input with one line and exit 2, and leaves no file it did not mean to keep."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.cli import run

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "registry"
LIST = str(FIXTURES / "rugao_2022_enterprises.csv")
BAD_LIST = "序号,镇（区、街道）,企业名称,安装类型,所属分局\n1,城北街道,甲,未知类型,执法一局\n"


def _run(*argv: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run(list(argv), out)
    return code, out.getvalue().splitlines()


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_a_file_that_is_not_sqlite_is_one_line_and_exit_2_and_left_as_it_was(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n", encoding="utf-8")
    code, lines = _run("--db", str(notes), "enterprises", "list")
    assert (code, lines) == (2, [f"错误：{notes} 不是 sqlite 数据库"])
    assert notes.read_text(encoding="utf-8") == "not a database\n" and _files(tmp_path) == ["notes.txt"]


def test_a_query_on_a_database_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "no" / "such" / "dir" / "x.db"
    code, lines = _run("--db", str(db), "enterprises", "list")
    assert (code, lines) == (2, [f"错误：数据库 {db} 不存在"])
    code, lines = _run("--db", str(tmp_path / "x.db"), "terminals", "list")
    assert code == 2 and len(lines) == 1
    assert _files(tmp_path) == []


def test_an_import_under_a_missing_directory_creates_no_directory(tmp_path: Path) -> None:
    db = tmp_path / "typo" / "x.db"
    code, lines = _run("--db", str(db), "registry", "import", "--csv", LIST)
    assert (code, lines) == (2, [f"错误：数据库目录 {db.parent} 不存在（不会自动创建）"])
    assert _files(tmp_path) == []


def test_a_directory_as_the_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, lines = _run("--db", str(tmp_path), "points", "list")
    assert (code, lines) == (2, [f"错误：数据库 {tmp_path} 不是一个文件"])


@pytest.mark.parametrize(
    "args",
    [
        ["--csv", "{tmp}/none.csv"],
        ["--csv", "{tmp}/junk.csv"],
        ["--xlsx", "{tmp}/junk.csv"],
        ["--points", "{tmp}/none.csv"],
    ],
    ids=["missing-list", "list-without-its-columns", "not-a-workbook", "missing-sheet"],
)
def test_a_failed_import_leaves_no_database_where_there_was_none(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "junk.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    db = tmp_path / "new.db"
    code, lines = _run("--db", str(db), "registry", "import", *(a.format(tmp=tmp_path) for a in args))
    assert code == 2 and len(lines) == 1 and lines[0].startswith("错误："), lines
    assert _files(tmp_path) == ["junk.csv"]


def test_an_import_with_row_errors_lists_them_and_leaves_no_new_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_LIST, encoding="utf-8")
    code, lines = _run("--db", str(tmp_path / "new.db"), "registry", "import", "--csv", str(bad))
    assert code == 1 and any("第2行「安装类型」列" in line for line in lines)
    assert _files(tmp_path) == ["bad.csv"]


def test_an_import_with_no_source_creates_nothing(tmp_path: Path) -> None:
    code, lines = _run("--db", str(tmp_path / "new.db"), "registry", "import")
    assert code == 2 and len(lines) == 1
    assert _files(tmp_path) == []


def test_a_dry_run_on_a_new_database_validates_without_creating_it(tmp_path: Path) -> None:
    code, lines = _run("--db", str(tmp_path / "new.db"), "registry", "import", "--csv", LIST, "--dry-run")
    assert code == 0 and lines[0].startswith("校验通过（未写入）")
    assert _files(tmp_path) == []


def test_a_failed_import_into_an_existing_database_keeps_it(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    assert _run("--db", str(db), "registry", "import", "--csv", LIST)[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_LIST, encoding="utf-8")
    assert _run("--db", str(db), "registry", "import", "--csv", str(bad))[0] == 1
    code, lines = _run("--db", str(db), "enterprises", "list")
    assert code == 0 and lines[-1] == "共 301 家企业"


def test_template_into_a_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    occupied = tmp_path / "occupied"
    occupied.write_text("x", encoding="utf-8")
    code, lines = _run("registry", "template", "--out", str(occupied / "t"))
    assert (code, lines) == (2, [f"错误：{occupied} 不是目录"])
    assert _files(tmp_path) == ["occupied"]


def test_python_dash_m_monitoring_answers_a_non_sqlite_file_without_a_traceback(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "monitoring", "--db", str(notes), "enterprises", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout
    assert done.stdout.splitlines() == [f"错误：{notes} 不是 sqlite 数据库"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["alarms", "list", "--limit", "0"], "错误：--limit 至少为 1，实为 0"),
        (["readings", "list", "--enterprise", "e", "--minutes", "-5"], "错误：--minutes 至少为 1，实为 -5"),
    ],
    ids=["limit", "minutes"],
)
def test_a_read_with_a_count_below_one_is_one_line_and_exit_2(tmp_path: Path, argv: list[str], message: str) -> None:
    db = str(tmp_path / "x.db")
    assert _run("--db", db, "registry", "import", "--csv", LIST)[0] == 0
    assert _run("--db", db, *argv) == (2, [message])


@pytest.mark.parametrize(
    ("now", "message"),
    [("yesterday", "不是 ISO 8601 时间"), ("2026-11-28T10:00:00", "缺少时区")],
    ids=["not-a-time", "no-offset"],
)
def test_readings_up_to_a_time_that_is_not_aware_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], now: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["--db", str(tmp_path / "x.db"), "readings", "list", "--enterprise", "e", "--now", now], io.StringIO())
    assert exited.value.code == 2 and f"--now: {message}" in capsys.readouterr().err and _files(tmp_path) == []
