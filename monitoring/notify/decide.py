"""Deciding: an alarm's state, its reminders or an emergency alert → events → outbox entries, one per
(event, recipient, channel), with quiet hours for low severity and a short window that lets an enterprise's
alarms raised together go out as one message. Pure: the caller stores what it returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from monitoring._time import CHINA, require_utc
from monitoring.alarms.models import Alarm, AlarmState
from monitoring.emergency.models import LEVEL_NAMES, EmergencyAlert, EnterpriseMeasures, LevelMeasures
from monitoring.evaluation.catalogue import RULES
from monitoring.notify.audience import Directory, address_for, resolve
from monitoring.notify.models import Notification, NotifyEvent, Recipient, Status, outbox_key
from monitoring.notify.ports import ChannelKind
from monitoring.notify.routing import RoutingTable
from monitoring.notify.templates import TemplateBook
from monitoring.registry.models import Enterprise

MAX_EVENT_AGE = timedelta(hours=12)  # older happenings are not announced (a restart after days must not flood)
# Merged when several reach one address together: alarms raised per enterprise; reminders of any enterprise.
GROUPED_EVENTS = frozenset({"alarm_raised", "response_overdue", "dispatched", "investigation_overdue"})
# The summary template of each grouped event (data/notify_templates.json).
MANY_TEMPLATES = {
    "alarm_raised": "alarms_raised_many",
    "response_overdue": "response_overdue_many",
    "dispatched": "dispatched_many",
    "investigation_overdue": "investigation_overdue_many",
}


def group_of(event_kind: str, enterprise_id: str | None) -> str:
    """Alarms raised merge per enterprise (its summary names one enterprise); a reminder merges with the same
    reminder about any enterprise (a branch officer gets one "N alarms overdue" rather than N)."""
    if event_kind == "alarm_raised":
        return f"{event_kind}:{enterprise_id}" if enterprise_id else ""
    return event_kind if event_kind in GROUPED_EVENTS else ""


def local_text(at: datetime) -> str:
    """Beijing time as the people-facing texts write it: YYYY-MM-DD HH:mm."""
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def alarm_events(alarm: Alarm, enterprise: Enterprise | None, county_id: str) -> list[NotifyEvent]:
    """The happenings of one alarm worth telling: raised, dispatched, and each reminder the escalation stored."""
    if alarm.state is AlarmState.RETRACTED:
        return []
    spec = RULES.get(alarm.rule)
    values = {
        "enterprise": enterprise.name if enterprise else alarm.enterprise_id,
        "rule": spec.name if spec else alarm.rule,
        "time": local_text(alarm.created_at),
        "alarm_id": alarm.id,
    }
    raised = NotifyEvent(
        f"alarm:{alarm.id}:raised",
        "alarm_raised",
        alarm.created_at,
        county_id=enterprise.county_id if enterprise else county_id,
        severity=alarm.severity,
        rule=alarm.rule,
        alarm_id=alarm.id,
        enterprise_id=alarm.enterprise_id,
        town_id=enterprise.town_id if enterprise else None,
        branch_id=enterprise.branch_id if enterprise else None,
        values=values,
    )
    events = [raised]
    if alarm.dispatched_at is not None and alarm.dispatched_to:
        # each dispatch is its own event: a reopened alarm dispatched again (even to the same branch) is told again
        dispatched_id = f"alarm:{alarm.id}:dispatched:{alarm.dispatched_at.isoformat()}"
        events.append(
            replace(raised, id=dispatched_id, kind="dispatched", at=alarm.dispatched_at, branch_id=alarm.dispatched_to)
        )
    for r in alarm.reminders:
        branch = alarm.dispatched_to if r.audience == "branch" and alarm.dispatched_to else raised.branch_id
        event_id = f"alarm:{alarm.id}:reminder:{r.reason}:{r.audience}:{r.at.isoformat()}"
        events.append(
            replace(raised, id=event_id, kind=r.reason, at=r.at, branch_id=branch, reminder_audience=r.audience)
        )
    return events


MEASURES_MAX = 35  # the SMS variable `measures` (Aliyun: ≤ 35 per variable of a notification template)
BRIEF_MAX = 20  # the WeChat `thing` field: a brief, the subscribe message opens the emergency page with the rest


def measures_text(measures: LevelMeasures | None) -> str:
    """One enterprise's measures at one level in compact wording: stop lines, energy share and two windows fit
    MEASURES_MAX (e.g. "停2条线，用电≤基线50%，0-6、20-24时停产")."""
    if measures is None:
        return "按应急减排清单执行"
    parts = []
    if measures.stop_points:
        parts.append(f"停{len(measures.stop_points)}条线")
    if measures.energy_share is not None:
        parts.append(f"用电≤基线{round(measures.energy_share * 100)}%")
    if measures.forbidden_hours:
        parts.append("、".join(f"{a}-{b}" for a, b in measures.forbidden_hours) + "时停产")
    return "，".join(parts) or "按应急减排清单执行"


def measures_brief(full: str) -> str:
    """`full` when it fits a WeChat `thing`; else its first measure and a pointer to the emergency page."""
    if len(full) <= BRIEF_MAX:
        return full
    first = full.split("，")[0]
    return f"{first}等，详见小程序" if len(first) + 7 <= BRIEF_MAX else "应急减排措施详见小程序"


def emergency_events(
    alert: EmergencyAlert,
    enterprises: Sequence[Enterprise],
    measures: Mapping[str, EnterpriseMeasures],
    now: datetime,
) -> list[NotifyEvent]:
    """Published (once the alert is known) and ended (once its end has passed): one event per enterprise in scope,
    each carrying that enterprise's own measures at the alert's level."""
    ended = now >= alert.end
    kind, at = ("emergency_ended", alert.end) if ended else ("emergency_published", min(now, alert.start))
    level = LEVEL_NAMES[alert.level]
    out = []
    for e in enterprises:
        if not alert.covers(e.enterprise_id, e.town_id) or (alert.county_id and e.county_id != alert.county_id):
            continue
        own = measures.get(e.enterprise_id)
        values = {
            "enterprise": e.name,
            "level": level,
            "time": local_text(alert.end if ended else alert.start),
            "measures": (full := measures_text(own.levels.get(alert.level) if own else None)),
            "measures_brief": measures_brief(full),
        }
        out.append(
            NotifyEvent(
                f"emergency:{alert.id}:{kind}:{e.enterprise_id}",
                kind,
                at,
                county_id=e.county_id,
                severity="high",
                enterprise_id=e.enterprise_id,
                town_id=e.town_id,
                branch_id=e.branch_id,
                values=values,
            )
        )
    return out


def _abroad(recipient: Recipient, kind: ChannelKind) -> ChannelKind:
    """An SMS route reaches a number outside the mainland through SNS."""
    return ChannelKind.SNS_SMS if kind is ChannelKind.SMS and recipient.sns_phone and not recipient.phone else kind


GrantCheck = Callable[[str, str], bool]  # (openid, logical template) → the person still allows one such message


class Decider:
    """Turns events into outbox entries with the routing table, the templates and a directory of people.
    `grants` (when given) lets a subscribe message be decided only for a person with a grant left for its
    template: WeChat refuses (43101) anything the person did not accept in the mini-program."""

    def __init__(
        self,
        routes: RoutingTable,
        templates: TemplateBook,
        directory: Directory,
        *,
        robots: Mapping[str, str] | None = None,
        grants: GrantCheck | None = None,
    ) -> None:
        self.grants = grants
        self.routes = routes
        self.templates = templates
        self.directory = directory
        self.robots = robots

    def decide(self, event: NotifyEvent, now: datetime) -> list[Notification]:
        now = require_utc(now, "now")
        if now - event.at > MAX_EVENT_AGE:
            return []
        route = self.routes.route_for(event)
        if route is None or not route.channels:
            return []
        audiences = self.routes.audiences_for(event, route)
        if not audiences:
            return []
        settings = self.routes.settings
        grouped = event.kind in GROUPED_EVENTS
        start = max(now, event.at + settings.coalesce_window) if grouped else now
        not_before = settings.quiet.release(start, event.severity)
        out: list[Notification] = []
        for recipient in resolve(audiences, event, self.directory, self.robots):
            kinds = [
                k
                for k in map(lambda k: _abroad(recipient, k), route.channels)
                if address_for(recipient, k) and self._allowed(recipient, k, route.template)
            ]
            if not kinds:
                out.append(self._unreachable(event, recipient, route.template, route.channels, now))
                continue
            for kind in kinds:
                rendered = self.templates.render(route.template, kind, event.values, recipient.audience)
                out.append(
                    Notification(
                        key=outbox_key(event.id, recipient.id, kind),
                        event_id=event.id,
                        event_kind=event.kind,
                        kind=kind,
                        recipient_id=recipient.id,
                        recipient_name=recipient.name,
                        audience=recipient.audience,
                        address=address_for(recipient, kind),
                        template=rendered.template,
                        params=rendered.params,
                        text=rendered.text,
                        page=rendered.page,
                        created_at=now,
                        not_before=not_before,
                        severity=event.severity,
                        group=group_of(event.kind, event.enterprise_id),
                        alarm_id=event.alarm_id,
                        enterprise_id=event.enterprise_id,
                    )
                )
        return out

    def _allowed(self, recipient: Recipient, kind: ChannelKind, template: str) -> bool:
        if kind is not ChannelKind.WECHAT_SUBSCRIBE or self.grants is None:
            return True
        return self.grants(recipient.openid, template)

    def decide_all(self, events: Sequence[NotifyEvent], now: datetime) -> list[Notification]:
        return [n for e in events for n in self.decide(e, now)]

    def _unreachable(
        self, event: NotifyEvent, recipient: Recipient, template: str, kinds: Sequence[ChannelKind], now: datetime
    ) -> Notification:
        kind = kinds[0]
        return Notification(
            key=outbox_key(event.id, recipient.id, kind),
            event_id=event.id,
            event_kind=event.kind,
            kind=kind,
            recipient_id=recipient.id,
            recipient_name=recipient.name,
            audience=recipient.audience,
            address="",
            template=template,
            params={},
            text="",
            created_at=now,
            not_before=now,
            severity=event.severity,
            alarm_id=event.alarm_id,
            enterprise_id=event.enterprise_id,
            status=Status.UNREACHABLE,
            error="no_channel",
            finished_at=now,
        )
