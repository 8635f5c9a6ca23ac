"""Random-inspection documents in sqlite (schema/110_random_checks.sql); a versioned update or a first insert."""

from __future__ import annotations

from monitoring.storage.base.random_checks import RandomChecksRepositoryBase, version_conflict
from monitoring.storage.sqlite.db import Database


class SqliteRandomChecksRepository(RandomChecksRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _put_doc(self, kind: str, key: str, group: str, body: str, version: int, expected: int) -> None:
        with self._db.write() as c:
            if expected == 0:  # a second insert of the key: IntegrityError → ConflictError (db.py)
                c.execute(
                    "INSERT INTO random_check_doc (kind, key, grp, version, body) VALUES (?, ?, ?, ?, ?)",
                    (kind, key, group, version, body),
                )
                return
            done = c.execute(
                "UPDATE random_check_doc SET body = ?, version = ?, grp = ? WHERE kind = ? AND key = ? AND version = ?",
                (body, version, group, kind, key, expected),
            )
            if done.rowcount != 1:
                raise version_conflict(kind, key)

    def _get_doc(self, kind: str, key: str) -> str | None:
        with self._db.read() as c:
            row = c.execute("SELECT body FROM random_check_doc WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else str(row[0])

    def _list_docs(self, kind: str, group: str) -> list[str]:
        with self._db.read() as c:
            rows = c.execute("SELECT body FROM random_check_doc WHERE kind = ? AND grp = ?", (kind, group)).fetchall()
        return [str(r[0]) for r in rows]
