"""Listener session leases (MN → task) on the state table, for several listener tasks behind one NLB.

More: docs/dynamodb.md §3, "Listener session leases"; the listener's side in docs/iot_ingest.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

from botocore.exceptions import ClientError

from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb._client import CONDITION_FAILED

LEASE_PREFIX = "lease#"  # one item per MN: the task holding its session
TASK_PREFIX = "leasetask#"  # one heartbeat per task: a lease is live while its owner's heartbeat is
KICK_PREFIX = "leasekick#"  # a task's inbox: MNs another task has taken over since
SK = "lease"
KEEP_S = 2 * 86_400  # TTL of lease items: a session's item is refreshed once a day while it lasts
REFRESH_S = 86_400


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": repr(round(value, 3))}


class DynamoDBSessionLeases:
    """Blocking lease primitives; the cost is per session and per task, never per frame.

    claim: one PutItem (+ one GetItem and one PutItem only when another task held the MN); renew, every
    lease_s / 3 per task: one heartbeat PutItem and one Query of its inbox (+ one UpdateItem per held MN a day);
    release: one conditional DeleteItem.
    """

    def __init__(self, client: Any, table: str, *, wall: Callable[[], float] = time.time) -> None:
        self.client, self.table, self.wall = client, table, wall
        self._claimed: dict[str, tuple[float, float]] = {}  # MN -> (claimed at, item refreshed at)
        self._beat: dict[str, float] = {}  # owner -> when its heartbeat was last written

    def _heartbeat(self, owner: str, lease_s: float, now: float, *, force: bool) -> None:
        if not force and now - self._beat.get(owner, -1e18) < lease_s / 3:
            return
        self.client.put_item(
            TableName=self.table,
            ReturnConsumedCapacity="TOTAL",
            Item={
                schema.PK: _s(TASK_PREFIX + owner),
                schema.SK: _s(SK),
                schema.ITEM_TYPE: _s("leasetask"),
                "until": _n(now + lease_s),
                schema.TTL_ATTRIBUTE: _n(now + KEEP_S),
            },  # fmt: skip
        )
        self._beat[owner] = now

    def _alive(self, owner: str, now: float) -> bool:
        item = self.client.get_item(
            TableName=self.table,
            ReturnConsumedCapacity="TOTAL",
            Key={schema.PK: _s(TASK_PREFIX + owner), schema.SK: _s(SK)},
            ConsistentRead=True,
        ).get("Item")
        return item is not None and float(item["until"]["N"]) > now

    def claim(self, mn: str, owner: str, lease_s: float) -> str | None:
        """Take the MN (the newest session wins); the previous owner if its task is alive, after telling it."""
        now = self.wall()
        self._heartbeat(owner, lease_s, now, force=False)
        old = self.client.put_item(
            TableName=self.table,
            ReturnConsumedCapacity="TOTAL",
            Item={
                schema.PK: _s(LEASE_PREFIX + mn),
                schema.SK: _s(SK),
                schema.ITEM_TYPE: _s("lease"),
                "owner": _s(owner),
                "since": _n(now),
                schema.TTL_ATTRIBUTE: _n(now + KEEP_S),
            },  # fmt: skip
            ReturnValues="ALL_OLD",
        ).get("Attributes")
        self._claimed[mn] = (now, now)
        previous = None if old is None else str(old["owner"]["S"])
        if previous is None or previous == owner or not self._alive(previous, now):
            return None
        self.client.put_item(
            TableName=self.table,
            ReturnConsumedCapacity="TOTAL",
            Item={
                schema.PK: _s(KICK_PREFIX + previous),
                schema.SK: _s(mn),
                schema.ITEM_TYPE: _s("leasekick"),
                "by": _s(owner),
                "at": _n(now),
                schema.TTL_ATTRIBUTE: _n(now + KEEP_S),
            },  # fmt: skip
        )
        return previous

    def renew(self, mns: Collection[str], owner: str, lease_s: float) -> set[str]:
        """Keep this task alive; return the held MNs another task has claimed since this one did."""
        now = self.wall()
        self._heartbeat(owner, lease_s, now, force=True)
        held = set(mns)
        lost: set[str] = set()
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table,
            ReturnConsumedCapacity="TOTAL",
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": schema.PK},
            ExpressionAttributeValues={":pk": _s(KICK_PREFIX + owner)},
            ConsistentRead=True,
        )
        for page in pages:
            for item in page.get("Items", []):
                mn = item[schema.SK]["S"]
                claimed = self._claimed.get(mn)
                if mn in held and claimed is not None and float(item["at"]["N"]) >= claimed[0]:
                    lost.add(mn)
                key = {schema.PK: item[schema.PK], schema.SK: item[schema.SK]}
                self.client.delete_item(TableName=self.table, ReturnConsumedCapacity="TOTAL", Key=key)
        for mn in held - lost:
            claimed = self._claimed.get(mn)
            if claimed is not None and now - claimed[1] >= REFRESH_S and not self._refresh(mn, owner, now):
                lost.add(mn)
        for mn in lost:
            self._claimed.pop(mn, None)
        for mn in set(self._claimed) - held:  # sessions that ended without a release (a failed delete)
            del self._claimed[mn]
        return lost

    def _refresh(self, mn: str, owner: str, now: float) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                ReturnConsumedCapacity="TOTAL",
                Key={schema.PK: _s(LEASE_PREFIX + mn), schema.SK: _s(SK)},
                UpdateExpression="SET #ttl = :ttl",
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#ttl": schema.TTL_ATTRIBUTE, "#owner": "owner"},
                ExpressionAttributeValues={":ttl": _n(now + KEEP_S), ":me": _s(owner)},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == CONDITION_FAILED:
                return False
            raise
        self._claimed[mn] = (self._claimed[mn][0], now)
        return True

    def release(self, mn: str, owner: str) -> None:
        """Drop the MN's lease if this task still holds it."""
        self._claimed.pop(mn, None)
        try:
            self.client.delete_item(
                TableName=self.table,
                ReturnConsumedCapacity="TOTAL",
                Key={schema.PK: _s(LEASE_PREFIX + mn), schema.SK: _s(SK)},
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":me": _s(owner)},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != CONDITION_FAILED:
                raise

    def owner(self, mn: str) -> str | None:
        """The task holding the MN now (the API or a test asking where a terminal is)."""
        item = self.client.get_item(
            TableName=self.table,
            ReturnConsumedCapacity="TOTAL",
            Key={schema.PK: _s(LEASE_PREFIX + mn), schema.SK: _s(SK)},
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else str(item["owner"]["S"])
