"""The routing table: specificity (rules over severities over bare), overrides per county, quiet hours across
midnight for the listed severities only, the back-off schedule, and refusal of unknown audiences and channels."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from monitoring.errors import InvalidInputError
from monitoring.notify.masking import mask, mask_phones
from monitoring.notify.models import NotifyEvent
from monitoring.notify.routing import QuietHours, RoutingTable, SendSettings

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _event(rule: str = "control_stopped", severity: str = "high", county: str = "320682") -> NotifyEvent:
    return NotifyEvent("e", "alarm_raised", AT, county, severity=severity, rule=rule, enterprise_id="E1")


def _table(**extra: object) -> RoutingTable:
    routes = [
        {"event": "alarm_raised", "audiences": ["enterprise_contacts"], "channels": ["sms"], "template": "bare"},
        {
            "event": "alarm_raised",
            "severities": ["low"],
            "audiences": ["installer"],
            "channels": ["sms"],
            "template": "low",
        },
        {
            "event": "alarm_raised",
            "rules": ["tamper_*"],
            "audiences": ["installer"],
            "channels": ["sms"],
            "template": "tamper",
        },
    ]
    return RoutingTable({"routes": routes, **extra})


def test_the_most_specific_route_wins() -> None:
    table = _table()
    assert table.route_for(_event()).template == "bare"  # type: ignore[union-attr]
    assert table.route_for(_event(severity="low")).template == "low"  # type: ignore[union-attr]
    assert table.route_for(_event("tamper_flatline", "low")).template == "tamper"  # type: ignore[union-attr]
    assert table.route_for(NotifyEvent("x", "unknown_kind", AT, "320682")) is None


def test_a_county_override_replaces_the_defaults_for_that_county_only() -> None:
    override = {"county:320682": [{"event": "alarm_raised", "audiences": [], "channels": ["sms"], "template": "mute"}]}
    table = _table(overrides=override)
    assert table.route_for(_event()).template == "mute"  # type: ignore[union-attr]
    assert table.route_for(_event(county="320681")).template == "bare"  # type: ignore[union-attr]


def test_quiet_hours_span_midnight_and_hold_only_listed_severities() -> None:
    quiet = QuietHours(time(22), time(7), frozenset({"low"}))
    night = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 23:30 Beijing
    early = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)  # 06:00 Beijing, 2 December
    day = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 Beijing
    morning = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 07:00 Beijing, 2 December
    assert quiet.release(night, "low") == morning and quiet.release(early, "low") == morning
    assert quiet.release(night, "high") == night and quiet.release(day, "low") == day


def test_back_off_grows_and_is_capped() -> None:
    s = SendSettings()
    assert [s.backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 30, 90]
    assert s.backoff(20) == timedelta(seconds=1800)


@pytest.mark.parametrize(
    "route",
    [
        {"event": "alarm_raised", "audiences": ["everyone"], "channels": ["sms"]},
        {"event": "alarm_raised", "audiences": ["installer"], "channels": ["pigeon"]},
        {"audiences": ["installer"], "channels": ["sms"]},
    ],
)
def test_a_bad_route_is_refused(route: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        RoutingTable({"routes": [route]})


def test_masking_of_addresses_and_free_text() -> None:
    assert mask("13812341234") == "138****1234" and mask("+85291234567") == "+852****4567"
    assert mask("oAbCdEfGh") == "oAbC…"
    assert mask_phones("号码13812341234无效，13900000000也是") == "号码138****1234无效，139****0000也是"
