"""Check a database path before anything is created, and take back what a failed command created.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import TracebackType

from monitoring.errors import InvalidInputError

SQLITE_HEADER = b"SQLite format 3\x00"
# Files sqlite keeps next to a database: WAL, its shared-memory index, the rollback journal.
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def check_database(path: Path, *, must_exist: bool) -> None:
    """An existing sqlite file, or (unless `must_exist`) a new one in an existing directory; else InvalidInputError."""
    if path.exists() or path.is_symlink():
        _check_file(path, allow_empty=not must_exist)
    elif must_exist:
        raise InvalidInputError(f"数据库 {path} 不存在")
    elif not path.parent.is_dir():
        raise InvalidInputError(f"数据库目录 {path.parent} 不存在（不会自动创建）")


def _check_file(path: Path, *, allow_empty: bool) -> None:
    if not path.is_file():
        raise InvalidInputError(f"数据库 {path} 不是一个文件")
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InvalidInputError(f"无法读取数据库 {path}: {exc.strerror or exc}") from None
    if not head and allow_empty:
        return  # sqlite initialises an empty file as a new database
    if head != SQLITE_HEADER:
        raise InvalidInputError(f"{path} 不是 sqlite 数据库")


def check_creatable_dir(path: Path) -> None:
    """A directory that exists or can be made: no part of `path` that exists is a file."""
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise InvalidInputError(f"{part} 不是目录")
            return


def database_files(path: Path) -> list[Path]:
    """The database file and the side files sqlite may have made next to it."""
    return [path, *(path.with_name(path.name + s) for s in SIDE_SUFFIXES)]


class Rollback:
    """Remember which of some paths do not exist yet; on `undo` (or leaving the block with an exception, or
    without `keep()`) remove those that were created since. Directories are removed only when empty of anything
    else, so an operator's file is never deleted."""

    def __init__(self, *paths: Path) -> None:
        self._new: list[Path] = []
        self._kept = False
        for path in paths:
            self.track(path)

    def track(self, path: Path) -> None:
        """Also take back `path` (a file, or a directory and its missing parents) if it does not exist now."""
        missing = [p for p in (path, *path.parents) if not (p.exists() or p.is_symlink())]
        self._new.extend(p for p in reversed(missing) if p not in self._new)

    def keep(self) -> None:
        self._kept = True

    def undo(self) -> None:
        for path in reversed(self._new):  # children before the directories that hold them
            with contextlib.suppress(FileNotFoundError):
                if path.is_dir() and not path.is_symlink():
                    if not any(path.iterdir()):
                        path.rmdir()
                else:
                    path.unlink()
        self._new.clear()

    def __enter__(self) -> Rollback:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self._kept:
            self.undo()


__all__ = ["Rollback", "check_creatable_dir", "check_database", "database_files"]
