"""The raw-frame archive in sqlite: bytes in a BLOB column, metadata as JSON, append-only by trigger."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from monitoring._time import from_micros, to_micros
from monitoring.archive.models import ArchivedFrame, AuthStatus, RawFrame
from monitoring.storage.base.archive import ArchiveRepositoryBase
from monitoring.storage.sqlite.db import Database

_COLUMNS = "mn, seq, received_at, prev_hash, hash, raw, meta"


def _row_to_record(row: tuple[Any, ...]) -> ArchivedFrame:
    mn, seq, received_at, prev_hash, hash_, raw, meta_text = row
    meta = json.loads(meta_text)
    frame = RawFrame(
        mn=mn,
        raw=bytes(raw),
        received_at=from_micros(received_at),
        peer=meta["peer"],
        auth=AuthStatus(meta["auth"]),
        crc=meta["crc"],
        cn=meta["cn"],
        qn=meta["qn"],
        listener=meta["listener"],
        session=meta["session"],
    )
    return ArchivedFrame(frame=frame, seq=int(seq), prev_hash=prev_hash, hash=hash_)


class SqliteArchiveRepository(ArchiveRepositoryBase):
    def _batch(self) -> AbstractContextManager[object]:
        return self._db.write()

    def __init__(self, db: Database) -> None:
        self._db = db

    def _find_by_dedupe_key(self, mn: str, key: str) -> ArchivedFrame | None:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM archive_frame WHERE dedupe_key = ?", (key,)).fetchone()
        return None if row is None else _row_to_record(row)

    def _head(self, mn: str) -> ArchivedFrame | None:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM archive_frame WHERE mn = ? ORDER BY seq DESC LIMIT 1", (mn,)
            ).fetchone()
        return None if row is None else _row_to_record(row)

    def _insert(self, record: ArchivedFrame) -> None:
        f = record.frame
        meta = {"peer": f.peer, "auth": f.auth.value, "crc": f.crc, "cn": f.cn, "qn": f.qn}
        meta |= {"listener": f.listener, "session": f.session}
        # A taken (mn, seq) or a duplicate dedupe_key raises IntegrityError → ConflictError; the base retries.
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO archive_frame (mn, seq, received_at, dedupe_key, prev_hash, hash, raw, meta) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f.mn,
                    record.seq,
                    to_micros(f.received_at),
                    f.dedupe_key,
                    record.prev_hash,
                    record.hash,
                    sqlite3.Binary(f.raw),
                    json.dumps(meta, sort_keys=True),
                ),
            )

    def _by_time(self, mn: str, start: datetime, end: datetime, limit: int) -> list[ArchivedFrame]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM archive_frame WHERE mn = ? AND received_at >= ? AND received_at < ? "
                "ORDER BY seq LIMIT ?",
                (mn, to_micros(start), to_micros(end), limit),
            ).fetchall()
        return [_row_to_record(r) for r in rows]

    def _by_time_containing(
        self, mn: str, start: datetime, end: datetime, limit: int, needle: bytes
    ) -> list[ArchivedFrame]:
        # Filtered in sqlite: only matching rows are turned into records (the window holds ~100 frames per MN).
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM (SELECT {_COLUMNS} FROM archive_frame WHERE mn = ? AND received_at >= ? "
                "AND received_at < ? ORDER BY seq LIMIT ?) WHERE instr(raw, ?) > 0 ORDER BY seq",
                (mn, to_micros(start), to_micros(end), limit, sqlite3.Binary(needle)),
            ).fetchall()
        return [_row_to_record(r) for r in rows]

    def _by_seq(self, mn: str, from_seq: int, limit: int) -> list[ArchivedFrame]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM archive_frame WHERE mn = ? AND seq >= ? ORDER BY seq LIMIT ?",
                (mn, from_seq, limit),
            ).fetchall()
        return [_row_to_record(r) for r in rows]
