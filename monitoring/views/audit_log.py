"""The audit log as the bureau reads it: the general trail (every mutating call) over a bounded window, newest
first by cursor; asked about one alarm, also that alarm's own audit (engine and workflow transitions, in order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from monitoring.alarms.models import AuditEntry
from monitoring.audit.models import AuditRecord
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.registry.models import check_id
from monitoring.storage.ports import Store
from monitoring.views.paging import bad_cursor

MAX_SPAN: Final = timedelta(days=366)
DEFAULT_SPAN: Final = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: datetime | None = None  # default: `until` minus 7 days
    until: datetime | None = None  # default: now (inclusive)
    actor_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    enterprise_id: str | None = None
    action: str | None = None  # e.g. "alarms.close", "alarms.close.denied"


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: list[AuditRecord]
    next_cursor: str | None
    since: datetime
    until: datetime
    alarm_entries: list[AuditEntry] | None  # only when the filter names one alarm
    actor_names: dict[str, str]  # account id -> display name, for the accounts that still exist


def audit_log(
    store: Store,
    where: AuditFilter,
    *,
    visible: frozenset[str] | None,
    now: datetime,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    """One page of the trail; a scoped reader sees only records of its enterprises."""
    until = where.until or now + timedelta(seconds=1)  # half-open: include what was written this very instant
    since = where.since or until - DEFAULT_SPAN
    try:
        since, until = since.astimezone(UTC), until.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError("时间超出范围") from None
    if not since < until or until - since > MAX_SPAN:
        raise InvalidInputError("查询时段无效：结束须晚于开始，且不超过 366 天")
    for value, what in (
        (where.actor_id, "actor_id"),
        (where.object_id, "object_id"),
        (where.enterprise_id, "enterprise_id"),
    ):
        if value is not None:
            check_id(value, what)
    enterprise_ids: frozenset[str] | None = visible
    if where.enterprise_id is not None:
        if visible is not None and where.enterprise_id not in visible:
            enterprise_ids = frozenset()
        else:
            enterprise_ids = frozenset({where.enterprise_id})
    if enterprise_ids is not None and not enterprise_ids:
        records: list[AuditRecord] = []
        next_cursor = None
    else:
        try:
            records, next_cursor = store.audit_trail.query(
                since=since,
                until=until,
                actor_id=where.actor_id,
                object_type=where.object_type,
                object_id=where.object_id,
                enterprise_ids=enterprise_ids,
                limit=limit,
                cursor=cursor,
                action=where.action,
            )
        except InvalidInputError:
            if cursor is not None:
                raise bad_cursor() from None
            raise
    alarm_entries = None
    if where.object_type == "alarm" and where.object_id is not None:
        alarm_entries = _alarm_entries(store, where.object_id, visible)
    names = {}
    for actor_id in sorted({r.actor_id for r in records}):
        account = store.accounts.find_account(actor_id)
        if account is not None:
            names[actor_id] = account.display_name
    return AuditPage(records, next_cursor, since, until, alarm_entries, names)


def _alarm_entries(store: Store, alarm_id: str, visible: frozenset[str] | None) -> list[AuditEntry]:
    try:
        alarm = store.alarms.get(alarm_id)
    except NotFoundError:
        return []
    if visible is not None and alarm.enterprise_id not in visible:
        return []
    return store.audit.for_alarm(alarm_id)
