"""Notifications over the store: decide from alarm changes, escalation reminders, emergency alerts and the daily
digest into `store.outbox` (stored before anything is sent), and the read side for the API: who was told about
an alarm, and which people have no usable channel."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring._time import CHINA, china_day_bounds, require_utc
from monitoring.accounts.models import Account, Role
from monitoring.alarms.models import Alarm, AlarmState
from monitoring.alarms.service import overdue
from monitoring.errors import ConflictError
from monitoring.notify.decide import MAX_EVENT_AGE, Decider, alarm_events, emergency_events, local_text
from monitoring.notify.models import Notification, NotifyEvent, Status
from monitoring.notify.ports import OutboxRepository
from monitoring.notify.routing import RoutingTable
from monitoring.notify.templates import TemplateBook
from monitoring.registry.models import Enterprise
from monitoring.storage.ports import Store

GROUP_LOOKBACK = timedelta(minutes=1)  # how far back (beyond the coalescing window) a queued group entry is looked for

log = logging.getLogger("monitoring.notify")
_OPEN = [AlarmState.PENDING, AlarmState.RESPONDED, AlarmState.DISPATCHED, AlarmState.VERIFIED]
# Roles whose people must be reachable for the notice's loop to work.
_REACHABLE_ROLES = frozenset({Role.ENTERPRISE, Role.INSTALLER, Role.BRANCH, Role.TOWN, Role.EMERGENCY})


class StoreDirectory:
    """`audience.Directory` over a store, with the county's accounts read once per pass."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._accounts: dict[str, list[Account]] = {}

    def enterprise(self, enterprise_id: str) -> Enterprise | None:
        return self.store.registry.find_enterprise(enterprise_id)

    def accounts(self, county_id: str) -> Sequence[Account]:
        if county_id not in self._accounts:
            self._accounts[county_id] = self.store.accounts.list_accounts(county_id)
        return self._accounts[county_id]


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A person who should be told things but has no phone and no bound mini-program."""

    kind: str  # contact | account
    id: str
    name: str
    role: str
    enterprise_id: str | None = None
    enterprise_name: str = ""
    reason: str = "no_channel"  # or "failed:<provider code>": the last message to them failed permanently


class NotifyService:
    """Decides into the outbox. Every pass is idempotent: an event decided twice stores nothing twice."""

    def __init__(
        self,
        store: Store,
        county_id: str,
        *,
        routes: RoutingTable | None = None,
        templates: TemplateBook | None = None,
        robots: Mapping[str, str] | None = None,
        wechat_templates: Mapping[str, str] | None = None,
        home_county: str | None = None,
    ) -> None:
        self.home_county = home_county or county_id  # owns the alerts stored without a county
        self.wechat_templates = wechat_templates  # logical template → subscribe template id; None: grants not kept
        self.store = store
        self.county_id = county_id
        self.routes = routes or RoutingTable.load()
        self.templates = templates or TemplateBook.load()
        self.robots = robots
        self._seen: dict[str, int] = {}  # alarm id → version already decided (a cache: the outbox key dedupes)
        self._digest_day: str = ""  # the last day whose digest this instance decided (a cache, likewise)

    def _decider(self) -> Decider:
        grants = None
        if self.wechat_templates is not None:
            ids = self.wechat_templates

            def grants(openid: str, template: str) -> bool:
                template_id = ids.get(template)
                if not template_id:
                    return False
                return self.store.outbox.subscription_grants(openid).get(template_id, 0) > 0

        return Decider(self.routes, self.templates, StoreDirectory(self.store), robots=self.robots, grants=grants)

    def _join_open_groups(self, notifications: Sequence[Notification], now: datetime) -> list[Notification]:
        """A grouped entry goes out with a queued, not yet due entry of its group to the same address (their
        not_before shared), so alarms raised a few seconds apart merge although each window starts at its own."""
        grouped = [n for n in notifications if n.group and n.status is Status.QUEUED]
        if not grouped:
            return list(notifications)
        window = self.routes.settings.coalesce_window + GROUP_LOOKBACK
        groups = {n.group for n in grouped}

        def waiting(n: Notification) -> bool:
            return n.status is Status.QUEUED and n.group in groups and n.not_before >= now

        found, _ = self.store.outbox.recent(now - window, now, limit=500, accept=waiting)
        opens: dict[tuple[str, object, str], datetime] = {}
        for n in found:
            k = (n.group, n.kind, n.address)
            opens[k] = min(opens.get(k, n.not_before), n.not_before)
        out = []
        for n in notifications:
            shared = opens.get((n.group, n.kind, n.address)) if n.group else None
            # only the coalescing offset is shared: a low-severity entry held by quiet hours stays held
            if shared is not None and shared < n.not_before <= shared + self.routes.settings.coalesce_window:
                n = dataclasses.replace(n, not_before=shared)
            out.append(n)
        return out

    def _store(self, notifications: Sequence[Notification], now: datetime | None = None) -> list[Notification]:
        if now is not None:
            notifications = self._join_open_groups(notifications, now)
        added = self.store.outbox.add(notifications)
        return [n for n, new in zip(notifications, added, strict=True) if new]

    # ---- alarms -----------------------------------------------------------------------------------------
    def decide_alarms(self, alarms: Iterable[Alarm], now: datetime) -> list[Notification]:
        """Outbox entries for these alarms' events (raised, dispatched, reminders) not decided before."""
        now = require_utc(now, "now")
        decider = self._decider()
        new: list[Notification] = []
        for alarm in alarms:
            if self._seen.get(alarm.id) == alarm.version:
                continue
            enterprise = decider.directory.enterprise(alarm.enterprise_id)
            new += self._store(decider.decide_all(alarm_events(alarm, enterprise, self.county_id), now), now)
            self._cancel_stale(alarm, now)
            self._seen[alarm.id] = alarm.version
        return new

    def _cancel_stale(self, alarm: Alarm, now: datetime) -> None:
        """Queued messages the alarm's progress made pointless: all once it is retracted (the condition never
        held: an enterprise that behaves hears nothing) or closed; a reminder once what it asked for was done."""
        done: set[str] = set()
        if alarm.state in (AlarmState.RETRACTED, AlarmState.CLOSED):
            done = {"alarm_raised", "response_overdue", "dispatched", "investigation_overdue"}
        else:
            if alarm.response is not None:
                done.add("response_overdue")
            if alarm.verification is not None:
                done.add("investigation_overdue")
        if not done:
            return
        for n in self.store.outbox.for_alarm(alarm.id):
            if n.status is Status.QUEUED and n.event_kind in done:
                try:
                    self.store.outbox.replace(
                        dataclasses.replace(n, status=Status.CANCELLED, finished_at=now, error=alarm.state.value)
                    )
                except ConflictError:
                    log.info("notification %s changed while being cancelled; a sender has it", n.key)

    def scan_alarms(self, now: datetime) -> list[Notification]:
        """Decide for every open alarm and every alarm created in the last MAX_EVENT_AGE (the local worker's pass)."""
        now = require_utc(now, "now")
        alarms = {a.id: a for a in self.store.alarms.list(states=_OPEN, limit=100_000)}
        alarms.update({a.id: a for a in self.store.alarms.list(since=now - MAX_EVENT_AGE, limit=100_000)})
        return self.decide_alarms(sorted(alarms.values(), key=lambda a: (a.created_at, a.id)), now)

    # ---- emergency alerts ----------------------------------------------------------------------------------
    def decide_emergency(self, now: datetime) -> list[Notification]:
        """Published alerts (declared and not yet ended) and alerts ended in the last MAX_EVENT_AGE."""
        now = require_utc(now, "now")
        alerts = self.store.emergency.alerts_between(now - MAX_EVENT_AGE, now + timedelta(days=7))
        if not alerts:
            return []
        enterprises = self.store.registry.list_enterprises(self.county_id)
        measures = self.store.emergency.measures()
        events: list[NotifyEvent] = []
        for alert in alerts:
            if alert.in_county(self.county_id, self.home_county):  # county A's alert never texts county B
                events += emergency_events(alert, enterprises, measures, now)
        return self._store(self._decider().decide_all(events, now))

    # ---- daily digest ---------------------------------------------------------------------------------------
    def decide_digest(self, now: datetime) -> list[Notification]:
        """After the digest hour (Beijing time), yesterday's figures for each town and each branch, once a day."""
        now = require_utc(now, "now")
        local = now.astimezone(CHINA)
        if local.hour < self.routes.settings.digest_hour:
            return []
        day = local.date() - timedelta(days=1)
        if self._digest_day == day.isoformat():
            return []
        start, end = china_day_bounds(day)
        enterprises = {e.enterprise_id: e for e in self.store.registry.list_enterprises(self.county_id)}
        open_alarms = self.store.alarms.list(states=_OPEN, limit=100_000)
        new_alarms = self.store.alarms.list(since=start, until=end, limit=100_000)
        scopes: list[tuple[str, str, str | None, str | None]] = [
            (f"town:{t.town_id}", t.name, t.town_id, None) for t in self.store.registry.list_towns(self.county_id)
        ]
        scopes += [
            (f"branch:{b.branch_id}", b.name, None, b.branch_id)
            for b in self.store.registry.list_branches(self.county_id)
        ]
        events = []
        for scope_id, name, town, branch in scopes:

            def inside(a: Alarm, town: str | None = town, branch: str | None = branch) -> bool:
                e = enterprises.get(a.enterprise_id)
                if e is None:
                    return False
                return (town is not None and e.town_id == town) or (branch is not None and e.branch_id == branch)

            values = {
                "scope": name,
                "day": day.isoformat(),
                "time": local_text(now),
                "new": str(sum(1 for a in new_alarms if inside(a))),
                "open": str(sum(1 for a in open_alarms if inside(a))),
                "overdue": str(sum(1 for a in open_alarms if inside(a) and overdue(a, now))),
            }
            events.append(
                NotifyEvent(
                    f"digest:{day.isoformat()}:{scope_id}",
                    "daily_digest",
                    now,
                    county_id=self.county_id,
                    severity="medium",
                    town_id=town,
                    branch_id=branch,
                    values=values,
                )
            )
        decided = self._store(self._decider().decide_all(events, now))
        self._digest_day = day.isoformat()
        return decided

    def decide_everything(self, now: datetime) -> list[Notification]:
        """One pass of the local worker: alarms, emergency alerts, the digest."""
        return self.scan_alarms(now) + self.decide_emergency(now) + self.decide_digest(now)

    def decide_events(self, events: Sequence[NotifyEvent], now: datetime) -> list[Notification]:
        """Outbox entries for other packages' events (maintenance reminders), new ones only."""
        return self._store(self._decider().decide_all(events, require_utc(now, "now")))

    # ---- read side ------------------------------------------------------------------------------------------
    def told(self, alarm_id: str) -> list[Notification]:
        return [n for n in self.store.outbox.for_alarm(alarm_id) if n.status is not Status.MERGED or n.merged_into]

    def unreachable(self, now: datetime | None = None) -> list[Unreachable]:
        return unreachable(self.store, self.county_id, now)


ENTERPRISE_SIDE = frozenset({"enterprise_contacts", "enterprise_accounts", "installer"})


def alarm_notifications(outbox: OutboxRepository, alarm_id: str, *, enterprise_side: bool) -> list[Notification]:
    """Who was told about an alarm, for its detail: a merged entry shows the outcome of the message it went out in;
    `enterprise_side` (an enterprise or installer asking) keeps only its own people (contacts, accounts, installer),
    not the bureau's staff and their numbers."""
    out = []
    for n in outbox.for_alarm(alarm_id):
        if enterprise_side and n.audience not in ENTERPRISE_SIDE:
            continue
        primary = outbox.find(n.merged_into) if n.merged_into else None
        if primary is not None:
            n = dataclasses.replace(
                n,
                status=primary.status,
                provider=primary.provider,
                provider_id=primary.provider_id,
                error=primary.error,
                attempts=primary.attempts,
                sent_at=primary.sent_at,
                delivered_at=primary.delivered_at,
            )
        out.append(n)
    return out


UNREACHABLE_LOOKBACK = timedelta(days=7)  # how far back decided-but-unreachable outbox entries are looked at


def unreachable(store: Store, county_id: str, now: datetime | None = None) -> list[Unreachable]:
    """Enterprise contacts and accounts (of the roles the notice needs) with neither phone nor openid; those whose
    last message failed permanently (invalid number, refused); and, given `now`, those whose newest entry of the
    last UNREACHABLE_LOOKBACK was decided unreachable although they have an address (an openid without a
    subscribe grant, or on a route that does not use WeChat): either way the notice does not reach them."""
    failed = store.outbox.undeliverable()
    latest = _latest_results(store.outbox, now) if now is not None else {}
    out: list[Unreachable] = []
    for e in store.registry.list_enterprises(county_id):
        for i, c in enumerate(e.contacts):
            ident = f"{e.enterprise_id}:{i}"
            reason = _reason(c.phone or c.wechat_openid, failed.get(f"contact:{ident}"), latest.get(f"contact:{ident}"))
            if reason:
                out.append(Unreachable("contact", ident, c.name, c.role.label, e.enterprise_id, e.name, reason))
    for a in store.accounts.list_accounts(county_id):
        if a.role in _REACHABLE_ROLES and not a.disabled:
            reason = _reason(a.phone or a.wechat_openid, failed.get(f"account:{a.id}"), latest.get(f"account:{a.id}"))
            if reason:
                ent = a.enterprise_ids[0] if a.enterprise_ids else None
                out.append(Unreachable("account", a.id, a.display_name, a.role_name, ent, reason=reason))
    return out


def _latest_results(outbox: OutboxRepository, now: datetime) -> dict[str, Status]:
    """Recipient id → the status of their newest outbox entry of the lookback (a person reached by a later
    message is not listed for an earlier unreachable one)."""
    now = require_utc(now, "now")
    latest: dict[str, Status] = {}
    before: str | None = None
    while True:
        page, before = outbox.recent(now - UNREACHABLE_LOOKBACK, now, before=before, limit=500)
        for n in page:  # newest first
            latest.setdefault(n.recipient_id, n.status)
        if before is None:
            return latest


def _reason(address: str | None, failure: Mapping[str, str] | None, latest: Status | None = None) -> str:
    if not address:
        return "no_channel"
    if failure is not None:
        return f"failed:{failure.get('code', '')}"
    return "no_usable_channel" if latest is Status.UNREACHABLE else ""
