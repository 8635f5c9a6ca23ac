"""Overdue inspections and repairs remind the enterprise's service provider and its branch through notify: one
reminder per obligation per day it stays overdue (the event id carries the day's index), whatever the tick rate."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitoring._time import require_utc
from monitoring.maintenance.service import inspections, repair_obligations
from monitoring.notify.decide import local_text
from monitoring.notify.models import Notification, NotifyEvent
from monitoring.notify.service import NotifyService
from monitoring.storage.ports import Store

REMIND_EVERY = timedelta(days=1)


def _period(overdue_since: datetime, now: datetime) -> int:
    return int((now - overdue_since) // REMIND_EVERY)


def reminder_events(store: Store, county_id: str, now: datetime) -> list[NotifyEvent]:
    """The reminders due now: for each overdue inspection and repair, the current day's one."""
    now = require_utc(now, "now")
    enterprises = {e.enterprise_id: e for e in store.registry.list_enterprises(county_id)}
    providers = {p.enterprise_id: p for p in store.maintenance.providers()}
    events: list[NotifyEvent] = []

    def event(event_id: str, kind: str, enterprise_id: str, values: dict[str, str]) -> NotifyEvent | None:
        e = enterprises.get(enterprise_id)
        if e is None:
            return None
        provider = providers.get(enterprise_id)
        return NotifyEvent(
            event_id, kind, now, county_id=county_id, severity="medium", enterprise_id=enterprise_id,
            town_id=e.town_id, branch_id=e.branch_id, values={"enterprise": e.name, **values},
            account_ids=provider.account_ids if provider else (),
        )  # fmt: skip

    for due in inspections(store, county_id, now, enterprises):
        if due.overdue and due.due_at is not None:
            n = _period(due.due_at, now)
            found = event(f"maint:inspection:{due.mn}:{due.due_at.isoformat()}:{n}", "inspection_overdue",
                          due.enterprise_id, {"mn": due.mn, "due": local_text(due.due_at)})  # fmt: skip
            if found:
                events.append(found)
    for ob in repair_obligations(store, now, enterprises):
        if ob.overdue:
            n = _period(ob.deadline, now)
            found = event(f"maint:repair:{ob.id}:{n}", "repair_overdue", ob.enterprise_id,
                          {"what": ob.title, "time": local_text(ob.opened_at), "mn": ob.mn})  # fmt: skip
            if found:
                events.append(found)
    return events


def remind(notify: NotifyService, now: datetime) -> list[Notification]:
    """Decide today's reminders into the outbox; a second call the same day stores nothing new."""
    return notify.decide_events(reminder_events(notify.store, notify.county_id, now), now)
