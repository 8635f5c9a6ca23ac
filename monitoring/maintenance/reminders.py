"""Overdue inspections and repairs remind the enterprise's service provider and its branch through notify: daily
for the first week overdue, then weekly (the event id carries the period's index), whatever the tick rate."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitoring._time import require_utc
from monitoring.maintenance.service import inspections, repair_obligations
from monitoring.notify.decide import local_text
from monitoring.notify.models import Notification, NotifyEvent
from monitoring.notify.service import NotifyService
from monitoring.storage.ports import Store

DAILY_FOR = 7  # days of daily reminders; after them one a week, so a long-overdue item does not flood phones
WEEK = 7


def reminder_period(overdue_since: datetime, now: datetime) -> int:
    """The reminder period `now` falls in: 0…6 the first seven days overdue, then one index per further week."""
    days = int((now - overdue_since) // timedelta(days=1))
    return days if days < DAILY_FOR else DAILY_FOR + (days - DAILY_FOR) // WEEK


def reminder_events(store: Store, county_id: str, now: datetime) -> list[NotifyEvent]:
    """The reminders due now: for each overdue inspection and repair, the current period's one."""
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
            n = reminder_period(due.due_at, now)
            found = event(f"maint:inspection:{due.mn}:{due.due_at.isoformat()}:{n}", "inspection_overdue",
                          due.enterprise_id, {"mn": due.mn, "due": local_text(due.due_at)})  # fmt: skip
            if found:
                events.append(found)
    for ob in repair_obligations(store, now, enterprises):
        if ob.overdue:
            n = reminder_period(ob.deadline, now)
            found = event(f"maint:repair:{ob.id}:{n}", "repair_overdue", ob.enterprise_id,
                          {"what": ob.title, "time": local_text(ob.opened_at), "mn": ob.mn})  # fmt: skip
            if found:
                events.append(found)
    return events


def remind(notify: NotifyService, now: datetime) -> list[Notification]:
    """Decide the current reminders into the outbox; a second call in the same period stores nothing new."""
    return notify.decide_events(reminder_events(notify.store, notify.county_id, now), now)
