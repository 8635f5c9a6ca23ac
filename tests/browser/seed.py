"""The demo county for the browser tests: the simulator's fleet imported as `make demo` does, the demo accounts,
terminal GPS as the listener records it, and alarms with the line's minute readings (the rules would take
simulated hours to raise them): one awaiting response, one past its 2 h limit, one in another branch."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from local.demo.accounts import DemoAccount, demo_username, ensure_demo_accounts
from local.demo.random_checks import ensure_demo_random_checks
from local.demo.runner import CSV
from local.workers import DB_FILE
from monitoring._time import CHINA
from monitoring.accounts.models import Role
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import Enterprise
from monitoring.registry.terminal import GpsFix
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store

COUNTY = "rugao"
THRESHOLDS = {"min_duration_min": 10, "p_on_kw": 1.5, "p_off_kw": 1.0}


@dataclass(frozen=True)
class Seeded:
    accounts: dict[str, DemoAccount]  # by role value
    enterprise: Enterprise  # the demo enterprise (first of the list), in demo_branch's scope
    fresh_alarm: str  # pending, inside its 2 h
    overdue_alarm: str  # pending, 3 h old
    outside_alarm: str  # another branch's enterprise
    enterprises: int
    branch_enterprises: int


def import_fleet(data: Path) -> Path:
    manifest = data / "fleet.json"
    sim = [sys.executable, "-m", "simulator", "manifest", "--csv", str(CSV), "--seed", "1", "--out", str(manifest)]
    subprocess.run(sim, check=True, capture_output=True)
    imp = [sys.executable, "-m", "local", "import-fleet", "--data-dir", str(data), "--manifest", str(manifest),
           "--csv", str(CSV), "--minute-interval", "1"]  # fmt: skip
    subprocess.run(imp, check=True, capture_output=True)
    return manifest


def _gps(store: Store, manifest: Path, now: datetime) -> None:
    """Each terminal's position as its realtime frames report it (the simulator sends the enterprise's spot)."""
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    for ent in doc["enterprises"]:
        for term in ent["terminals"]:
            if term.get("registered", True):
                store.registry.record_terminal_seen(term["mn"], now, gps=GpsFix(ent["lat"], ent["lng"], now))


def _line_alarm(store: Store, alarm_id: str, ent: Enterprise, line: int, created: datetime, now: datetime) -> None:
    """A control_stopped alarm on the enterprise's `line`-th line, with 3 h of minute power of both sides."""
    reg = store.registry
    assoc = sorted(reg.list_associations(ent.enterprise_id), key=lambda a: a.name)[line]
    points = reg.list_points(ent.enterprise_id)
    control = next(p for p in points if p.facility_id == assoc.control_facility_id)
    production = [p for p in points if p.facility_id in assoc.production_facility_ids]
    stop = created - timedelta(minutes=10)
    start = now - timedelta(hours=3)
    minute = start.replace(second=0, microsecond=0)
    rows: list[Reading] = []
    while minute <= now:
        load = 40.0 + (minute.minute % 7)
        rows += [Reading(p.point_id, minute, ReadingKind.MINUTE, {"p": load}, mn=p.mn or "") for p in production]
        fan = 0.2 if minute >= stop else 12.5  # the control side stops 10 min before the alarm
        rows.append(Reading(control.point_id, minute, ReadingKind.MINUTE, {"p": fan}, mn=control.mn or ""))
        minute += timedelta(minutes=1)
    store.readings.put_readings(rows)
    evidence = {
        "association": assoc.association_id,
        "control_point": control.point_id,
        "production_points": [p.point_id for p in production],
        "thresholds": THRESHOLDS,
    }
    episode = Episode(stop, None, evidence, {control.point_id: {"known_share": 1.0}})
    alarm = Alarm(alarm_id, "control_stopped", f"{assoc.association_id}/{control.point_id}", ent.enterprise_id,
                  "high", AlarmState.PENDING, (episode,), created, created,
                  (*[p.point_id for p in production], control.point_id))  # fmt: skip
    store.alarms.put(alarm, expected_version=None)


def seed(data: Path, now: datetime | None = None) -> Seeded:
    now = now or datetime.now(UTC)
    manifest = import_fleet(data)
    store = open_store(str(data / DB_FILE))
    try:
        accounts = {a.role.value: a for a in ensure_demo_accounts(store, COUNTY)}
        enterprises = store.registry.list_enterprises(COUNTY)
        first = min(enterprises, key=lambda e: (e.list_seq or 0, e.enterprise_id))
        other = min((e for e in enterprises if e.branch_id != first.branch_id), key=lambda e: e.list_seq or 0)
        _gps(store, manifest, now)
        ensure_demo_random_checks(store, now.astimezone(CHINA), COUNTY, branch_user=demo_username(Role.BRANCH))
        _line_alarm(store, "web-fresh", first, 0, now - timedelta(minutes=30), now)
        _line_alarm(store, "web-overdue", first, 1, now - timedelta(hours=3), now)
        _line_alarm(store, "web-outside", other, 0, now - timedelta(minutes=50), now)
        return Seeded(accounts, first, "web-fresh", "web-overdue", "web-outside", len(enterprises),
                      sum(1 for e in enterprises if e.branch_id == first.branch_id))  # fmt: skip
    finally:
        store.close()
