"""The chain over delivered archive objects in sqlite: `chain_link` by seq."""

from __future__ import annotations

from monitoring.archive.manifest import ChainLink
from monitoring.storage.base.chain_heads import ChainHeadsRepositoryBase, link_body, link_from
from monitoring.storage.sqlite.db import Database


class SqliteChainHeadsRepository(ChainHeadsRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _insert(self, link: ChainLink) -> None:
        # A taken seq raises IntegrityError → ConflictError; the caller rebuilds on the new head.
        with self._db.write() as conn:
            conn.execute("INSERT INTO chain_link (seq, body) VALUES (?, ?)", (link.seq, link_body(link)))

    def _recent(self, limit: int) -> list[ChainLink]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT seq, body FROM chain_link ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [link_from(int(seq), body) for seq, body in rows]

    def _links(self, from_seq: int, limit: int) -> list[ChainLink]:
        sql = "SELECT seq, body FROM chain_link WHERE seq >= ? ORDER BY seq LIMIT ?"
        with self._db.read() as conn:
            rows = conn.execute(sql, (from_seq, limit)).fetchall()
        return [link_from(int(seq), body) for seq, body in rows]
