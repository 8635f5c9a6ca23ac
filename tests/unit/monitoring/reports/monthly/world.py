"""A November 2026 for the monthly report's tests: the views' small registry plus alarms with known response
and investigation times, an hour of data per day for e1, an emergency alert, and maintenance entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from monitoring._time import china_day_bounds
from monitoring.alarms.models import Alarm, AlarmState, Cause, Episode, Response, Verification
from monitoring.emergency.models import EmergencyAlert, Level
from monitoring.maintenance.models import MaintenanceEntry, MaintenanceKind
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, ReadingKind
from monitoring.registry.models import InstallStatus
from monitoring.storage.ports import Store
from tests.unit.monitoring.views.world import NOW, seed, world

NOV_START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11-01 00:00 Beijing time


def alarm(
    alarm_id: str,
    enterprise_id: str,
    rule: str,
    created: datetime,
    *,
    responded_after: timedelta | None = None,
    verified_after: timedelta | None = None,
    state: AlarmState = AlarmState.PENDING,
) -> Alarm:
    ep = Episode(created - timedelta(minutes=30), None, {}, {})
    a = Alarm(alarm_id, rule, f"assoc:{alarm_id}", enterprise_id, "high", state, (ep,), created, created)
    if responded_after is not None:
        a = replace(a, response=Response(Cause.OTHER, "", (), "u", created + responded_after))
    if verified_after is not None:
        dispatched = created + timedelta(hours=1)
        a = replace(
            a,
            dispatched_to="rugao-b1",
            dispatched_at=dispatched,
            verification=Verification("属实", (), "b", dispatched + verified_after),
        )
    return a


def november(now: datetime = NOW, store: Store | None = None) -> Store:
    """The views' world (in memory, or seeded into `store`) with November's alarms, data, alert and upkeep."""
    s = world(now) if store is None else seed(store, now)
    for a in (
        alarm("a1", "e1", "control_stopped", NOV_START + timedelta(days=2), responded_after=timedelta(hours=1)),
        alarm("a2", "e1", "control_stopped", NOV_START + timedelta(days=3), responded_after=timedelta(hours=3)),
        alarm(
            "a3",
            "e2",
            "terminal_offline",
            NOV_START + timedelta(days=4),
            responded_after=timedelta(minutes=30),
            verified_after=timedelta(hours=30),
            state=AlarmState.VERIFIED,
        ),
        alarm("a4", "e2", "emergency_violation", NOV_START + timedelta(days=10, hours=2)),  # never answered: over
        alarm("a5", "e1", "control_stopped", NOV_START - timedelta(hours=1)),  # October (Beijing): not counted
    ):
        s.alarms.put(a, expected_version=None)
    for day in range(27):  # e1: one hour of data a day (p1), and p1's completeness 60 of 1440
        d = date(2026, 11, 1) + timedelta(days=day)
        start = china_day_bounds(d)[0]
        s.readings.put_aggregate(Aggregate("p1", AggregatePeriod.HOUR, start + timedelta(hours=3), 60))
        s.readings.put_completeness(Completeness("p1", d, ReadingKind.MINUTE, 1440, 60))
    s.emergency.put_alert(
        EmergencyAlert(
            "al1",
            Level.ORANGE,
            NOV_START + timedelta(days=10),
            NOV_START + timedelta(days=12),
            "橙色预警",
            county_id="rugao",
        )
    )
    e1 = s.registry.get_enterprise("e1")
    s.registry.put_enterprise(replace(e1, install_status=InstallStatus.NETWORKED))
    for entry_id, enterprise, kind, at, extra in (
        ("mt-0", "e1", MaintenanceKind.INSPECTION, NOV_START + timedelta(days=5), {"checklist": {"wiring": True}}),
        ("mt-1", "e1", MaintenanceKind.REPAIR, NOV_START + timedelta(days=6), {}),
        ("mt-2", "e2", MaintenanceKind.REPAIR, NOV_START + timedelta(days=4, hours=5), {"obligation": "alarm:a3"}),
    ):
        mn = "MN0001" if enterprise == "e1" else "MN0002"
        s.maintenance.put_entry(MaintenanceEntry(entry_id, enterprise, kind, at, "inst", at, mn=mn, **extra))
    return s


def one_alert_per_enterprise(s: Store) -> Store:
    """The demo's way: one "模拟应急管控" alert per enterprise for the same orange window (e1 twice), plus a red
    alert and an orange one ending later under the same title: three windows in all."""
    start, end = NOV_START + timedelta(days=10), NOV_START + timedelta(days=12)
    for alert_id, level, until, covered in (
        ("sim-e1", Level.ORANGE, end, {"e1"}),
        ("sim-e2", Level.ORANGE, end, {"e2"}),
        ("sim-e13", Level.ORANGE, end, {"e1", "e3"}),
        ("sim-red", Level.RED, end, {"e2"}),
        ("sim-late", Level.ORANGE, end + timedelta(hours=6), {"e3"}),
    ):
        alert = EmergencyAlert(alert_id, level, start, until, "模拟应急管控", frozenset(covered), county_id="rugao")
        s.emergency.put_alert(alert)
    return s
