"""How claimed entries become messages: only one group's entries merge, emergency notices never do, and the most
urgent go first (before a per-number cap closes)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from monitoring.notify.models import Notification
from monitoring.notify.ports import ChannelKind
from monitoring.notify.sender import batches
from tests.unit.monitoring.notify.world import T0


def _n(key: str, event_kind: str, *, group: str = "", severity: str = "medium", minutes: int = 0) -> Notification:
    return Notification(
        key=key,
        event_id=f"ev-{key}",
        event_kind=event_kind,
        kind=ChannelKind.SMS,
        recipient_id="contact:E1:0",
        recipient_name="王经理",
        audience="enterprise_contacts",
        address="13800000001",
        template=event_kind,
        params={},
        text="",
        created_at=T0 + timedelta(minutes=minutes),
        not_before=T0,
        severity=severity,
        group=group,
    )


def test_only_one_groups_entries_merge_and_emergency_notices_never() -> None:
    got = batches(
        [
            _n("a1", "alarm_raised", group="alarm_raised:E1"),
            _n("a2", "alarm_raised", group="alarm_raised:E1", minutes=1),
            _n("b1", "alarm_raised", group="alarm_raised:E2"),
            _n("r1", "response_overdue"),
            _n("r2", "response_overdue"),
            _n("e1", "emergency_published", group="emergency_published:E1"),
            _n("e2", "emergency_published", group="emergency_published:E1"),
        ]
    )
    assert sorted(sorted(n.key for n in b) for b in got) == [["a1", "a2"], ["b1"], ["e1"], ["e2"], ["r1"], ["r2"]]


def test_emergency_then_high_severity_then_the_oldest_go_first() -> None:
    got = batches(
        [
            _n("low-old", "response_overdue", severity="low", minutes=0),
            _n("high", "alarm_raised", group="alarm_raised:E1", severity="high", minutes=5),
            _n("emergency", "emergency_ended", minutes=9),
            _n("low-new", "dispatched", severity="low", minutes=3),
        ]
    )
    assert [b[0].key for b in got] == ["emergency", "high", "low-old", "low-new"]


def test_subscribe_messages_are_not_merged() -> None:
    """Each was decided against a grant for its own template; a merged summary's template may have none."""
    wechat = [
        dataclasses.replace(_n(k, "alarm_raised", group="alarm_raised:E1"), kind=ChannelKind.WECHAT_SUBSCRIBE)
        for k in ("w1", "w2")
    ]
    assert sorted(len(b) for b in batches(wechat)) == [1, 1]
