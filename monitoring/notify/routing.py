"""The routing table kept as data (data/notify_routes.json): per event kind, rule and severity → audiences,
channels and template; overridable per county and per enterprise; plus the sending settings (quiet hours,
coalescing window, per-number SMS limits, retry schedule)."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from monitoring._time import CHINA
from monitoring.errors import InvalidInputError
from monitoring.notify.models import NotifyEvent
from monitoring.notify.ports import ChannelKind

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "notify_routes.json"
AUDIENCES = frozenset(
    {
        "enterprise_contacts",
        "enterprise_accounts",
        "installer",
        "service_provider",
        "branch_staff",
        "town_officials",
        "emergency_staff",
        "air_staff",
    }
)
# The escalation job's reminder audiences → the routing audiences a reminder may reach.
REMINDER_AUDIENCES = {
    "enterprise": frozenset({"enterprise_contacts", "enterprise_accounts", "installer"}),
    "branch": frozenset({"branch_staff"}),
    "emergency_section": frozenset({"emergency_staff"}),
}


@dataclass(frozen=True, slots=True)
class Route:
    event: str
    audiences: tuple[str, ...]
    channels: tuple[ChannelKind, ...]
    template: str
    rules: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()

    def matches(self, event: NotifyEvent) -> bool:
        if self.event != event.kind:
            return False
        if self.rules and not any(fnmatch.fnmatchcase(event.rule, r) for r in self.rules):
            return False
        return not self.severities or event.severity in self.severities

    @property
    def specificity(self) -> tuple[int, int]:
        return (1 if self.rules else 0, 1 if self.severities else 0)


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time
    severities: frozenset[str]

    def release(self, at: datetime, severity: str) -> datetime:
        """`at`, or the end of the quiet hours it falls in when the severity is one that waits."""
        if severity not in self.severities:
            return at
        local = at.astimezone(CHINA)
        t = local.time()
        inside = (self.start <= t or t < self.end) if self.start > self.end else (self.start <= t < self.end)
        if not inside:
            return at
        end = datetime.combine(local.date(), self.end, tzinfo=CHINA)
        if end <= local:
            end += timedelta(days=1)
        return end


@dataclass(frozen=True, slots=True)
class SendSettings:
    coalesce_window: timedelta = timedelta(seconds=10)
    quiet: QuietHours = field(default_factory=lambda: QuietHours(time(22), time(7), frozenset({"low"})))
    # Per-number caps across templates (0: none): Aliyun sets none by default for notification SMS.
    sms_per_minute: int = 0
    sms_per_hour: int = 0
    sms_per_day: int = 0
    sms_per_template_day: int = 50  # Aliyun's default: 50 per (signature, template, number) per rolling 24 h
    retry_first_s: float = 10.0
    retry_factor: float = 3.0
    retry_max_s: float = 1800.0
    max_attempts: int = 8
    lease_s: float = 60.0
    digest_hour: int = 8

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed try: first_s × factor^(attempts-1), capped."""
        seconds = min(self.retry_max_s, self.retry_first_s * self.retry_factor ** max(0, attempts - 1))
        return timedelta(seconds=seconds)


def _route(raw: Mapping[str, Any], where: str) -> Route:
    try:
        audiences = tuple(str(a) for a in raw.get("audiences", []))
        channels = tuple(ChannelKind(c) for c in raw.get("channels", []))
        route = Route(
            event=str(raw["event"]),
            audiences=audiences,
            channels=channels,
            template=str(raw.get("template", raw["event"])),
            rules=tuple(str(r) for r in raw.get("rules", [])),
            severities=tuple(str(s) for s in raw.get("severities", [])),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidInputError(f"notify route in {where}: {exc}") from exc
    for a in audiences:
        if a not in AUDIENCES and not a.startswith("wecom:"):
            raise InvalidInputError(f"notify route in {where}: unknown audience {a!r}")
    return route


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class RoutingTable:
    """Routes by layer: defaults, then `overrides["county:<id>"]`, then `overrides["enterprise:<id>"]`."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.defaults = [_route(r, "routes") for r in data.get("routes", [])]
        self.overrides = {
            str(scope): [_route(r, scope) for r in routes] for scope, routes in dict(data.get("overrides", {})).items()
        }
        s = dict(data.get("settings", {}))
        quiet = dict(s.get("quiet_hours", {}))
        limits = dict(s.get("sms_limits", {}))
        retry = dict(s.get("retry", {}))
        self.settings = SendSettings(
            coalesce_window=timedelta(seconds=float(s.get("coalesce_window_s", 10))),
            quiet=QuietHours(
                _clock(str(quiet.get("start", "22:00"))),
                _clock(str(quiet.get("end", "07:00"))),
                frozenset(str(x) for x in quiet.get("severities", ["low"])),
            ),
            sms_per_minute=int(limits.get("per_minute", 0)),
            sms_per_hour=int(limits.get("per_hour", 0)),
            sms_per_day=int(limits.get("per_day", 0)),
            sms_per_template_day=int(limits.get("per_template_day", 50)),
            retry_first_s=float(retry.get("first_s", 10)),
            retry_factor=float(retry.get("factor", 3)),
            retry_max_s=float(retry.get("max_s", 1800)),
            max_attempts=int(retry.get("max_attempts", 8)),
            lease_s=float(s.get("lease_s", 60)),
            digest_hour=int(s.get("digest_hour", 8)),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> RoutingTable:
        return cls(json.loads((path or DEFAULT_PATH).read_text(encoding="utf-8")))

    def route_for(self, event: NotifyEvent) -> Route | None:
        """The most specific matching route (enterprise > county > defaults; rules > severities > bare)."""
        layers: Sequence[list[Route]] = (
            self.overrides.get(f"enterprise:{event.enterprise_id}", []) if event.enterprise_id else [],
            self.overrides.get(f"county:{event.county_id}", []),
            self.defaults,
        )
        for routes in layers:
            found = [r for r in routes if r.matches(event)]
            if found:
                return max(found, key=lambda r: r.specificity)
        return None

    def audiences_for(self, event: NotifyEvent, route: Route) -> tuple[str, ...]:
        """The route's audiences; a reminder reaches only those of its own audience (escalation decides whom)."""
        if event.reminder_audience is None:
            return route.audiences
        allowed = REMINDER_AUDIENCES.get(event.reminder_audience, frozenset())
        return tuple(a for a in route.audiences if a in allowed)
