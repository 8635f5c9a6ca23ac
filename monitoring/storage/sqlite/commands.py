"""Downlink commands in sqlite; transitions are `UPDATE … WHERE status = expected`."""

from __future__ import annotations

from monitoring._time import to_micros
from monitoring.commands.models import Command, CommandStatus
from monitoring.errors import ConflictError
from monitoring.storage import codec
from monitoring.storage.base.commands import CommandsRepositoryBase
from monitoring.storage.sqlite.db import Database


class SqliteCommandsRepository(CommandsRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _insert_command(self, command: Command) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO command (command_id, mn, qn, status, created_at, body) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    command.command_id,
                    command.mn,
                    command.qn,
                    command.status.value,
                    to_micros(command.created_at),
                    codec.dumps(command),
                ),
            )

    def _get_command(self, command_id: str) -> Command | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM command WHERE command_id = ?", (command_id,)).fetchone()
        return None if row is None else codec.loads(Command, row[0])

    def _query_by_mn(self, mn: str, statuses: frozenset[CommandStatus] | None) -> list[Command]:
        sql = "SELECT body FROM command WHERE mn = ?"
        args: list[str] = [mn]
        if statuses is not None:
            if not statuses:
                return []
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            args += sorted(s.value for s in statuses)
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY created_at, command_id", args).fetchall()
        return [codec.loads(Command, r[0]) for r in rows]

    def _query_pending(self) -> list[Command]:
        with self._db.read() as conn:
            # The literal (not a parameter) lets sqlite use the partial index command_pending.
            rows = conn.execute(
                "SELECT body FROM command WHERE status = 'pending' ORDER BY created_at, command_id"
            ).fetchall()
        return [codec.loads(Command, r[0]) for r in rows]

    def _find_by_qn(self, mn: str, qn: str) -> Command | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM command WHERE mn = ? AND qn = ?", (mn, qn)).fetchone()
        return None if row is None else codec.loads(Command, row[0])

    def _replace_command(self, command: Command, expected: CommandStatus) -> None:
        with self._db.write() as conn:
            cur = conn.execute(
                "UPDATE command SET status = ?, body = ? WHERE command_id = ? AND status = ?",
                (command.status.value, codec.dumps(command), command.command_id, expected.value),
            )
            if cur.rowcount != 1:
                raise ConflictError(f"command {command.command_id} is no longer {expected.value}")
