"""Outbox logic over versioned documents: create-if-absent by idempotency key, conditional replace, the due list
(a sortable "due" index value, absent once final), claims with a lease, per-address send times, the newest-first list.

Adapters implement `_get_doc`, `_put_doc` (conditional on a version; 0 = must not exist), `_query_due`, `_query_alarm`
and `_query_recent`. Due values are fixed-width UTC strings, so string order is time order on every backend.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring._time import require_utc
from monitoring.errors import ConflictError, NotFoundError
from monitoring.notify.models import Notification, Status
from monitoring.storage import codec

GRANT_MAX = 50  # subscribe-message grants kept per (person, template): more are never needed, a loop can't grow it
QUOTA_KEEP = timedelta(days=1)  # the longest per-number window (Aliyun counts a rolling 24 h)
UNDELIVERABLE_MAX = 2000  # people listed as unreachable after a permanent failure (one document)


_DUE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def due_value(at: datetime) -> str:
    return require_utc(at, "due").strftime(_DUE_FORMAT)


def recent_since(at: datetime) -> str:
    """The lower bound of `recent_value` for a time: the stored created_at form (UTC isoformat)."""
    return str(codec.to_data(require_utc(at, "since")))


def recent_value(body: Mapping[str, Any]) -> str:
    """A notification's position in the newest-first list: its created_at as stored, then its key. UTC
    isoformat strings sort as time ("…:05+00:00" < "…:05.5+00:00": '+' sorts before '.')."""
    return f"{body['created_at']}#{body['key']}"


def _parse_due(text: str) -> datetime:
    return datetime.strptime(text, _DUE_FORMAT).replace(tzinfo=UTC)


class OutboxRepositoryBase(ABC):
    """Implements `monitoring.notify.ports.OutboxRepository` over document primitives."""

    @abstractmethod
    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def _put_doc(
        self,
        kind: str,
        key: str,
        body: dict[str, Any],
        *,
        expected_version: int,
        due: str | None = None,
        alarm: str | None = None,
        receipt: str | None = None,
    ) -> None:
        """Write if the stored version is `expected_version` (0: absent), else ConflictError. `due`, `alarm` and
        `receipt` are the index values (None: not in that index; due and receipt are never both set)."""

    @abstractmethod
    def _query_due(self, upto: str, limit: int) -> list[dict[str, Any]]:
        """Notification bodies whose due value is <= `upto`, ascending by due value, at most `limit`."""

    @abstractmethod
    def _query_receipts(self, limit: int) -> list[dict[str, Any]]:
        """Notification bodies with a receipt value, ascending by it, at most `limit`."""

    @abstractmethod
    def _query_alarm(self, alarm_id: str) -> list[dict[str, Any]]:
        """Notification bodies indexed under `alarm_id` (any order)."""

    @abstractmethod
    def _query_recent(self, since: str, before: str, limit: int) -> list[dict[str, Any]]:
        """Notification bodies with `recent_value` >= `since` and < `before`, descending by it, at most `limit`."""

    # ---- notifications ----------------------------------------------------------------------------------
    def _write(self, n: Notification, expected_version: int) -> Notification:
        stored = dataclasses.replace(n, version=expected_version + 1)
        due, receipt = stored.due_at(), stored.receipt_due()
        self._put_doc(
            "msg",
            n.key,
            codec.to_data(stored),
            expected_version=expected_version,
            due=None if due is None else due_value(due),
            alarm=stored.alarm_id,
            receipt=None if receipt is None else due_value(receipt),
        )
        return stored

    def add(self, notifications: Sequence[Notification]) -> list[bool]:
        out = []
        for n in notifications:
            if self._get_doc("msg", n.key) is not None:
                out.append(False)
                continue
            try:
                self._write(n, 0)
                out.append(True)
            except ConflictError:
                out.append(False)  # stored concurrently by another decider: the same decision
        return out

    def find(self, key: str) -> Notification | None:
        body = self._get_doc("msg", key)
        return None if body is None else codec.from_data(Notification, body)

    def get(self, key: str) -> Notification:
        found = self.find(key)
        if found is None:
            raise NotFoundError(f"notification {key!r} not found")
        return found

    def replace(self, notification: Notification) -> Notification:
        return self._write(notification, notification.version)

    def due(self, now: datetime, *, limit: int = 100) -> list[Notification]:
        bodies = self._query_due(due_value(now), limit)
        return [codec.from_data(Notification, b) for b in bodies]

    def claim(self, now: datetime, *, owner: str, lease_s: float, limit: int = 100) -> list[Notification]:
        now = require_utc(now, "now")
        until = now + timedelta(seconds=lease_s)
        claimed = []
        for n in self.due(now, limit=limit):
            taken = dataclasses.replace(n, status=Status.SENDING, lease_owner=owner, lease_until=until)
            try:
                claimed.append(self.replace(taken))
            except ConflictError:
                continue  # another sender took it first
        return claimed

    def awaiting_receipts(self, *, limit: int = 200) -> list[Notification]:
        return [codec.from_data(Notification, b) for b in self._query_receipts(limit)]

    def for_alarm(self, alarm_id: str) -> list[Notification]:
        found = [codec.from_data(Notification, b) for b in self._query_alarm(alarm_id)]
        return sorted(found, key=lambda n: (n.created_at, n.key))

    def recent(
        self,
        since: datetime,
        until: datetime,
        *,
        before: str | None = None,
        limit: int = 50,
        accept: Callable[[Notification], bool] = lambda n: True,
    ) -> tuple[list[Notification], str | None]:
        """Notifications decided in [since, until], newest first, that `accept` keeps; at most `limit`, and the
        cursor after the last one when more may follow (an opaque `recent_value`)."""
        lower = recent_since(since)
        upper = before if before is not None else recent_since(until) + "$"  # "$" sorts after "#<key>"
        found: list[Notification] = []
        batch = max(limit, 100)
        while True:
            bodies = self._query_recent(lower, upper, batch)
            for body in bodies:
                n = codec.from_data(Notification, body)
                upper = recent_value(body)
                if accept(n):
                    found.append(n)
                    if len(found) == limit:
                        return found, upper
            if len(bodies) < batch:
                return found, None

    # ---- per-address send times -----------------------------------------------------------------------
    def sent_times(self, address: str, since: datetime) -> list[datetime]:
        since = require_utc(since, "since")
        body = self._get_doc("quota", address)
        times = [_parse_due(t) for t in (body or {}).get("times", [])]
        return [t for t in times if t >= since]

    def record_sent(self, address: str, at: datetime) -> None:
        at = require_utc(at, "at")
        for _ in range(20):  # a lost race re-reads: two senders may count the same number at once
            body = self._get_doc("quota", address) or {"version": 0, "times": []}
            version = int(body.get("version", 0))
            times = [t for t in body["times"] if t >= due_value(at - QUOTA_KEEP)]
            try:
                self._put_doc(
                    "quota",
                    address,
                    {"version": version + 1, "times": sorted([*times, due_value(at)])},
                    expected_version=version,
                )
                return
            except ConflictError:
                continue
        raise ConflictError(f"per-number count of {address[:3]}****: too many concurrent writers")

    # ---- people whose last message failed permanently ------------------------------------------------------
    def undeliverable(self) -> dict[str, dict[str, str]]:
        body = self._get_doc("undeliverable", "all")
        return {str(k): dict(v) for k, v in (body or {}).get("people", {}).items()}

    def mark_undeliverable(self, recipient_id: str, info: Mapping[str, str] | None) -> None:
        for _ in range(20):
            body = self._get_doc("undeliverable", "all") or {"version": 0, "people": {}}
            people = dict(body["people"])
            if info is None and recipient_id not in people:
                return  # the common case (a message accepted): nothing to clear, nothing written
            if info is None:
                people.pop(recipient_id)
            else:
                people[recipient_id] = dict(info)
            if len(people) > UNDELIVERABLE_MAX:  # the oldest go first: one document must stay small
                people = dict(sorted(people.items(), key=lambda kv: kv[1].get("at", ""))[-UNDELIVERABLE_MAX:])
            version = int(body.get("version", 0))
            try:
                self._put_doc(
                    "undeliverable", "all", {"version": version + 1, "people": people}, expected_version=version
                )
                return
            except ConflictError:
                continue
        raise ConflictError("undeliverable list: too many concurrent writers")

    # ---- subscribe-message grants -----------------------------------------------------------------------
    def subscription_grants(self, openid: str) -> dict[str, int]:
        body = self._get_doc("grant", openid)
        return {str(k): int(v) for k, v in (body or {}).get("counts", {}).items() if int(v) > 0}

    def change_subscription_grants(self, openid: str, changes: Mapping[str, int | None]) -> dict[str, int]:
        for _ in range(20):  # a lost race re-reads (the mini-program reports while a sender uses one)
            body = self._get_doc("grant", openid) or {"version": 0, "counts": {}}
            version = int(body.get("version", 0))
            counts = {str(k): int(v) for k, v in body["counts"].items()}
            for template, delta in changes.items():
                after = 0 if delta is None else counts.get(template, 0) + delta
                counts[template] = min(max(after, 0), GRANT_MAX)
            counts = {k: v for k, v in counts.items() if v > 0}
            try:
                self._put_doc("grant", openid, {"version": version + 1, "counts": counts}, expected_version=version)
                return counts
            except ConflictError:
                continue
        raise ConflictError("subscribe-message grants: too many concurrent writers")
