"""The raw-frame archive in sqlite: bytes in a BLOB column, metadata as JSON, append-only by trigger."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from monitoring._time import from_micros, to_micros
from monitoring.archive.models import GENESIS_HASH, ArchivedFrame, AuthStatus, RawFrame, link_hash
from monitoring.errors import ConflictError
from monitoring.storage.base.archive import ArchiveRepositoryBase
from monitoring.storage.sqlite.db import Database

_COLUMNS = "mn, seq, received_at, prev_hash, hash, raw, meta"
_HEAD = "SELECT seq, hash FROM archive_frame WHERE mn = ? ORDER BY seq DESC LIMIT 1"  # on the (mn, seq) key
_INSERT = (
    "INSERT INTO archive_frame (mn, seq, received_at, dedupe_key, prev_hash, hash, raw, meta) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_CHUNK = 500  # host parameters per IN list, well under sqlite's limit


def _row(record: ArchivedFrame, dedupe_key: str) -> tuple[Any, ...]:
    f = record.frame
    meta = {"peer": f.peer, "auth": f.auth.value, "crc": f.crc, "cn": f.cn, "qn": f.qn}
    meta |= {"listener": f.listener, "session": f.session}
    return (
        f.mn,
        record.seq,
        to_micros(f.received_at),
        dedupe_key,
        record.prev_hash,
        record.hash,
        sqlite3.Binary(f.raw),
        json.dumps(meta, sort_keys=True),
    )


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))


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
        # A taken (mn, seq) or a duplicate dedupe_key raises IntegrityError → ConflictError; the base retries.
        with self._db.write() as conn:
            conn.execute(_INSERT, _row(record, record.frame.dedupe_key))

    def append_many(self, frames: Sequence[RawFrame]) -> list[ArchivedFrame]:
        """The base's append, frame by frame in order, with the reads done once per batch: sqlite has one writer
        and this runs inside it (BEGIN IMMEDIATE), so nothing can move a head or add a receipt meanwhile.

        Per batch: one query for the receipts already archived, one for the heads of the batch's terminals, one
        executemany for the new links. Should an insert clash anyway, the savepoint undoes the batch's inserts
        and the base's frame-by-frame path (with its conflict retries) does the work instead.
        """
        if len(frames) < 2:
            return super().append_many(frames)
        with self._db.write() as conn:
            conn.execute("SAVEPOINT archive_batch")
            try:
                out = self._append_batch(conn, frames)
            except BaseException as exc:
                # undo this batch's inserts even when the caller handles the error and keeps its transaction
                conn.execute("ROLLBACK TO archive_batch")
                conn.execute("RELEASE archive_batch")
                if isinstance(exc, ConflictError | sqlite3.IntegrityError):
                    return super().append_many(frames)
                raise
            conn.execute("RELEASE archive_batch")
            return out

    def _append_batch(self, conn: sqlite3.Connection, frames: Sequence[RawFrame]) -> list[ArchivedFrame]:
        keys = [f.dedupe_key for f in frames]
        existing: dict[str, ArchivedFrame] = {}
        for chunk in _chunks(sorted(set(keys))):
            rows = conn.execute(
                f"SELECT dedupe_key, {_COLUMNS} FROM archive_frame WHERE dedupe_key IN ({_marks(chunk)})", chunk
            ).fetchall()
            existing.update((row[0], _row_to_record(row[1:])) for row in rows)
        heads: dict[str, tuple[str, int]] = {}  # mn → (hash, seq) of its newest link
        mns = sorted({f.mn for f, key in zip(frames, keys, strict=True) if key not in existing})
        for mn in mns:
            # One indexed probe per terminal: a `max(seq) … WHERE mn IN (…) GROUP BY mn` over the batch was planned
            # on the (mn, received_at) index and read every link of each terminal (7.8 s at 33,000 links).
            row = conn.execute(_HEAD, (mn,)).fetchone()
            if row is not None:
                heads[mn] = (row[1], int(row[0]))
        out: list[ArchivedFrame] = []
        new_rows: list[tuple[Any, ...]] = []
        for frame, key in zip(frames, keys, strict=True):
            found = existing.get(key)
            if found is None:
                prev_hash, seq = heads.get(frame.mn, (GENESIS_HASH, 0))
                found = ArchivedFrame(frame, seq + 1, prev_hash, link_hash(prev_hash, frame))
                heads[frame.mn] = (found.hash, found.seq)
                existing[key] = found  # the same receipt twice in one batch is archived once
                new_rows.append(_row(found, key))
            out.append(found)
        if new_rows:
            conn.executemany(_INSERT, new_rows)
        return out

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
