"""The chain over delivered archive objects in sqlite: `chain_segment` by (mn, first_seq), `delivered_object`."""

from __future__ import annotations

from monitoring.archive.delivered import ChainSegment, DeliveredObject
from monitoring.storage.base.chain_heads import ChainHeadsRepositoryBase, segment_body, segment_from
from monitoring.storage.sqlite.db import Database


class SqliteChainHeadsRepository(ChainHeadsRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _recent(self, mn: str, limit: int) -> list[ChainSegment]:
        sql = "SELECT first_seq, body FROM chain_segment WHERE mn = ? ORDER BY first_seq DESC LIMIT ?"
        with self._db.read() as conn:
            rows = conn.execute(sql, (mn, limit)).fetchall()
        return [segment_from(mn, int(seq), body) for seq, body in rows]

    def _insert_segment(self, segment: ChainSegment) -> None:
        # A taken (mn, first_seq) raises IntegrityError → ConflictError; the base retries on the new head.
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO chain_segment (mn, first_seq, body) VALUES (?, ?, ?)",
                (segment.mn, segment.first_seq, segment_body(segment)),
            )

    def _segments(self, mn: str, from_seq: int, limit: int) -> list[ChainSegment]:
        sql = "SELECT first_seq, body FROM chain_segment WHERE mn = ? AND first_seq >= ? ORDER BY first_seq LIMIT ?"
        with self._db.read() as conn:
            rows = conn.execute(sql, (mn, from_seq, limit)).fetchall()
        return [segment_from(mn, int(seq), body) for seq, body in rows]

    def _delivered(self, key: str) -> DeliveredObject | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT key, digest, records, mns FROM delivered_object WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else DeliveredObject(row[0], row[1], int(row[2]), int(row[3]))

    def _put_delivered(self, delivered: DeliveredObject) -> None:
        d = delivered
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO delivered_object (key, digest, records, mns) VALUES (?, ?, ?, ?)",
                (d.key, d.digest, d.records, d.mns),
            )
