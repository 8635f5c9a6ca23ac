"""The database path checks and the rollback the command lines use before and after creating files."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring.errors import InvalidInputError
from monitoring.storage.sqlite.preflight import SQLITE_HEADER, Rollback, check_database, database_files

pytestmark = pytest.mark.unit


def test_an_empty_file_may_become_a_database_but_is_not_one_to_query(tmp_path: Path) -> None:
    empty = tmp_path / "e.db"
    empty.touch()
    check_database(empty, must_exist=False)
    with pytest.raises(InvalidInputError, match="不是 sqlite 数据库"):
        check_database(empty, must_exist=True)


def test_a_sqlite_header_passes_both_checks(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    db.write_bytes(SQLITE_HEADER + b"\0" * 84)
    check_database(db, must_exist=True)
    check_database(db, must_exist=False)


def test_rollback_removes_what_was_created_and_keeps_what_was_there(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("old", encoding="utf-8")
    data = tmp_path / "a" / "b"
    with Rollback(data, *database_files(data / "x.db"), tmp_path / "old.txt"):
        data.mkdir(parents=True)
        for path in database_files(data / "x.db")[:2]:
            path.write_text("new", encoding="utf-8")
        (tmp_path / "old.txt").write_text("changed", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]


def test_rollback_never_removes_a_directory_that_holds_someone_elses_file(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with Rollback(data, data / "x.db"):
        data.mkdir()
        (data / "x.db").write_text("new", encoding="utf-8")
        (data / "theirs.txt").write_text("not ours", encoding="utf-8")
    assert sorted(p.name for p in data.iterdir()) == ["theirs.txt"]


def test_rollback_on_an_exception_and_not_after_keep(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), Rollback(tmp_path / "x.db"):
        (tmp_path / "x.db").write_text("new", encoding="utf-8")
        raise RuntimeError
    assert not (tmp_path / "x.db").exists()
    with Rollback(tmp_path / "y.db") as rollback:
        (tmp_path / "y.db").write_text("new", encoding="utf-8")
        rollback.keep()
    assert (tmp_path / "y.db").exists()
