"""Downlink commands in DynamoDB (state table), every read strongly consistent.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import json

from pynamodb.connection import Connection as PynamoConnection
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.transactions import TransactWrite

from monitoring.commands.models import Command, CommandStatus
from monitoring.errors import ConflictError
from monitoring.storage import codec
from monitoring.storage.base.commands import CommandsRepositoryBase
from monitoring.storage.dynamodb._client import is_condition_failure, time_key, translate
from monitoring.storage.dynamodb.models import StateItem

_PTR = "ptr"
# Sparse index of pending commands (gsi1): an item is in it only while pending, so a listener task finds the
# commands to deliver with one query per poll, whatever the number of terminals it holds.
PENDING_INDEX_KEY = "cmdpending"


def _key(command: Command) -> tuple[str, str]:
    return f"cmd#{command.mn}", f"{time_key(command.created_at)}#{command.command_id}"


class DynamoDBCommandsRepository(CommandsRepositoryBase):
    def __init__(self, model: type[StateItem], tx_connection: PynamoConnection) -> None:
        self._model = model
        self._tx = tx_connection

    def _item(self, command: Command) -> StateItem:
        pk, sk = _key(command)
        item = self._model(pk, sk, t="cmd", status=command.status.value, qn=command.qn, body=codec.dumps(command))
        if command.status is CommandStatus.PENDING:  # a save without them drops the item from the index
            item.gsi1pk, item.gsi1sk = PENDING_INDEX_KEY, sk
        return item

    def _insert_command(self, command: Command) -> None:
        pk, sk = _key(command)
        pointer = json.dumps({"pk": pk, "sk": sk})
        by_id = self._model(f"cmdid#{command.command_id}", _PTR, t="cmdid", body=pointer)
        by_qn = self._model(f"cmdqn#{command.mn}#{command.qn}", _PTR, t="cmdqn", body=pointer)
        absent = self._model.pk.does_not_exist()
        with translate(f"enqueue command {command.command_id}"), TransactWrite(connection=self._tx) as tx:
            tx.save(by_id, condition=absent)
            tx.save(by_qn, condition=absent)
            tx.save(self._item(command), condition=absent)

    def _follow(self, pointer_pk: str) -> Command | None:
        with translate("get command"):
            try:
                pointer = self._model.get(pointer_pk, _PTR, consistent_read=True)
                target = json.loads(pointer.body or "{}")
                item = self._model.get(target["pk"], target["sk"], consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else codec.loads(Command, item.body)

    def _get_command(self, command_id: str) -> Command | None:
        return self._follow(f"cmdid#{command_id}")

    def _find_by_qn(self, mn: str, qn: str) -> Command | None:
        return self._follow(f"cmdqn#{mn}#{qn}")

    def _query_by_mn(self, mn: str, statuses: frozenset[CommandStatus] | None) -> list[Command]:
        condition = None
        if statuses is not None:
            if not statuses:
                return []
            condition = self._model.status.is_in(*(s.value for s in statuses))
        with translate("list commands"):
            items = self._model.query(f"cmd#{mn}", filter_condition=condition, consistent_read=True)
            return [codec.loads(Command, item.body) for item in items if item.body]

    def _query_pending(self) -> list[Command]:
        # The index is eventually consistent: a command enqueued a moment ago shows up on the next poll, and one
        # that has just left "pending" is caught by the conditional transition.
        with translate("list pending commands"):
            items = self._model.gsi1.query(PENDING_INDEX_KEY)  # type: ignore[attr-defined]
            return [codec.loads(Command, item.body) for item in items if item.body]

    def _replace_command(self, command: Command, expected: CommandStatus) -> None:
        try:
            self._item(command).save(condition=self._model.status == expected.value)
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"command {command.command_id} is no longer {expected.value}") from exc
            with translate("transition command"):
                raise
