"""The alarm list people work from: filters, the deadline order with its stored sort key, and cursor pages.

More: docs/monitoring.md, "Alarm list and detail".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from monitoring.alarms.models import FINAL_STATES, Alarm, AlarmState

RESPONSE_LIMIT = timedelta(hours=2)  # 第十三条(六); the same figure as SlaPolicy.response
INVESTIGATION_LIMIT = timedelta(hours=24)  # 四(四)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_US = 10**17  # microseconds until the year 5138: room for the descending time key


class Overdue(StrEnum):
    ANY = "any"  # either limit
    RESPONSE = "response"  # 2 h to respond
    INVESTIGATION = "investigation"  # 24 h to investigate once dispatched


def deadlines(alarm: Alarm) -> dict[str, datetime]:
    """The time limits still running on the alarm: response until it is answered, investigation while dispatched."""
    out: dict[str, datetime] = {}
    if alarm.open and alarm.response is None:
        out["response"] = alarm.created_at + RESPONSE_LIMIT
    if alarm.state == AlarmState.DISPATCHED and alarm.dispatched_at is not None:
        out["investigation"] = alarm.dispatched_at + INVESTIGATION_LIMIT
    return out


def overdue_kinds(alarm: Alarm, now: datetime) -> list[str]:
    return [kind for kind, due in deadlines(alarm).items() if now > due]


def _us(t: datetime) -> int:
    return (t - _EPOCH) // timedelta(microseconds=1)


def list_key(alarm: Alarm) -> str:
    """The stored sort key of the list: "0" + earliest running deadline ascending (the most overdue first), then
    "1" + open alarms awaiting a decision (responded, verified) by last change, newest first, then "2" + closed
    and retracted ones, newest first. It depends on the alarm only, so it is written with it and indexed."""
    due = deadlines(alarm)
    if due:
        return f"0{_us(min(due.values())):017d}"
    bucket = "1" if alarm.open else "2"
    return f"{bucket}{_MAX_US - _us(alarm.updated_at):017d}"


def now_key(now: datetime) -> str:
    """List keys below this one have a deadline already passed."""
    return f"0{_us(now):017d}"


@dataclass(frozen=True, slots=True)
class AlarmQuery:
    """What a list asks for. `enterprise_ids` None is every enterprise of `county_id` (None: of every county);
    an empty set selects nothing (a scope or filter that matches no enterprise). The county is the one of the
    alarm's enterprise in the registry; the adapter applies it (the alarm does not carry it)."""

    enterprise_ids: frozenset[str] | None = None
    county_id: str | None = None
    # Only alarms of enterprises in these branches / towns (the registry's; applied by the adapter, which may read
    # a per-branch or per-town index for them). A scope or filter by branch or town names them beside the ids.
    branch_ids: frozenset[str] | None = None
    town_ids: frozenset[str] | None = None
    states: frozenset[AlarmState] | None = None
    rules: frozenset[str] | None = None
    severities: frozenset[str] | None = None
    overdue: Overdue | None = None
    since: datetime | None = None  # created_at >= since
    until: datetime | None = None  # created_at < until
    now: datetime = _EPOCH  # for the overdue filter
    escalated: bool | None = None  # True: escalated to 应急科 (escalated_at set); False: not escalated
    dispatched_to: str | None = None  # only alarms dispatched to this branch (read through their own index)

    def matches(self, alarm: Alarm) -> bool:
        return (
            (self.enterprise_ids is None or alarm.enterprise_id in self.enterprise_ids)
            and (self.states is None or alarm.state in self.states)
            and (self.rules is None or alarm.rule in self.rules)
            and (self.severities is None or alarm.severity in self.severities)
            and (self.since is None or alarm.created_at >= self.since)
            and (self.until is None or alarm.created_at < self.until)
            and (self.escalated is None or (alarm.escalated_at is not None) == self.escalated)
            and (self.dispatched_to is None or alarm.dispatched_to == self.dispatched_to)
            and self._overdue_matches(alarm)
        )

    def _overdue_matches(self, alarm: Alarm) -> bool:
        if self.overdue is None:
            return True
        late = overdue_kinds(alarm, self.now)
        return bool(late) if self.overdue == Overdue.ANY else self.overdue.value in late

    @property
    def empty(self) -> bool:
        sets = (self.enterprise_ids, self.states, self.rules, self.severities, self.branch_ids, self.town_ids)
        return any(s is not None and not s for s in sets)

    @property
    def key_below(self) -> str | None:
        """An upper bound (exclusive) on the list key every match has, for the index range."""
        if self.overdue is not None:
            return now_key(self.now)
        if self.states is not None and not (self.states & FINAL_STATES):
            return "2"
        return None

    @property
    def key_from(self) -> str | None:
        """A lower bound (inclusive) on the list key every match has: closed and retracted alarms sort last."""
        if self.states is not None and self.states <= FINAL_STATES and self.overdue is None:
            return "2"
        return None


Position = tuple[str, str]  # (list key, alarm id) of the last alarm of a page


@dataclass(frozen=True, slots=True)
class AlarmPage:
    alarms: list[Alarm]
    next_after: Position | None  # where the next page starts; None on the last page


def position(alarm: Alarm) -> Position:
    return (list_key(alarm), alarm.id)


def in_list_order(alarms: Iterable[Alarm]) -> list[Alarm]:
    return sorted(alarms, key=position)
