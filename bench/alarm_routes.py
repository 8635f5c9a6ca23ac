"""Alarm list and detail over the real local API on sqlite: 301 enterprises, 10 alarms each, a day of minute
readings for the lines detailed; one client, sequential requests; p50/p95 per request kind (about 15 s).

    .venv/bin/python -m bench.alarm_routes [--requests 60]     (`make bench-api` is issue 14's 20-client figure)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.alarms.models import Alarm, AlarmState, Cause, Episode, Response
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import (
    Association,
    Branch,
    County,
    Enterprise,
    EnterpriseCategory,
    Facility,
    FacilityKind,
    MonitoringPoint,
    Town,
)
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.support.api import Reply, api_settings, serve

PASSWORD = "Bench-Passw0rd"


def _enterprise(store: Store, e: int, now: datetime) -> None:
    reg, eid = store.registry, f"e{e:03d}"
    reg.put_enterprise(
        Enterprise(
            enterprise_id=eid,
            county_id="rugao",
            name=f"企业{e}",
            town_id=f"t{e % 20}",
            branch_id=f"b{e % 6}",
            category=EnterpriseCategory.AIR_CONTROL,
        )
    )
    reg.put_facility(Facility(f"{eid}-f", eid, "MF0001", "产线", FacilityKind.PRODUCTION))
    reg.put_facility(Facility(f"{eid}-c", eid, "TA0001", "治理", FacilityKind.CONTROL))
    reg.put_point(MonitoringPoint(f"{eid}-p", eid, f"{eid}-f", f"{eid}-P", "产", FacilityKind.PRODUCTION))
    reg.put_point(MonitoringPoint(f"{eid}-q", eid, f"{eid}-c", f"{eid}-Q", "治", FacilityKind.CONTROL))
    reg.put_association(Association(f"{eid}-a", eid, "治理线", f"{eid}-c", (f"{eid}-f",)))
    evidence = {"association": f"{eid}-a", "control_point": f"{eid}-q", "production_points": [f"{eid}-p"]}
    for k in range(10):
        created = now - timedelta(hours=3 * k + e % 7)
        state = (AlarmState.PENDING, AlarmState.RESPONDED, AlarmState.CLOSED)[k % 3]
        # alarm 0 of each enterprise: an episode running for 23 h, so its detail carries a full 24 h series
        start = created - (timedelta(hours=23) if k == 0 else timedelta(minutes=10))
        ep = Episode(start, None if k == 0 else created + timedelta(hours=1), evidence, {})
        alarm = Alarm(f"A{e:03d}{k}", "control_stopped", f"{eid}/{k}", eid, "high", state, (ep,), created, created)
        if state != AlarmState.PENDING:
            alarm = replace(alarm, response=Response(Cause.OTHER, "x", (), "u", created + timedelta(minutes=20)))
        store.alarms.put(replace(alarm, point_ids=(f"{eid}-p", f"{eid}-q")), expected_version=None)


def _fill(store: Store, now: datetime) -> None:
    store.registry.put_county(County("rugao", "如皋市"))
    for i in range(20):
        store.registry.put_town(Town(f"t{i}", "rugao", f"镇{i}"))
    for i in range(6):
        store.registry.put_branch(Branch(f"b{i}", "rugao", f"分局{i}"))
    with store.batch():
        for e in range(301):
            _enterprise(store, e, now)
    rows = [
        Reading(f"e{e:03d}-{side}", now - timedelta(minutes=m), ReadingKind.MINUTE, {"p": 30.0})
        for e in range(20)
        for side in "pq"
        for m in range(1, 1441)
    ]
    for i in range(0, len(rows), 5000):
        with store.batch():
            store.readings.put_readings(rows[i : i + 5000])
    for name, role, branch in (("admin_b", Role.ADMIN, None), ("branch_b", Role.BRANCH, "b1")):
        create_account(
            store.accounts,
            now,
            username=name,
            display_name=name,
            role=role,
            county_id="rugao",
            branch_id=branch,
            password=PASSWORD,
        )


def _time(label: str, call: Callable[[], Reply], n: int) -> None:
    took: list[float] = []
    for _ in range(n):
        start = time.perf_counter()
        reply = call()
        took.append((time.perf_counter() - start) * 1000)
        assert reply.status == 200, reply
    took.sort()
    print(f"{label:<40} p50 {statistics.median(took):6.1f} ms   p95 {took[int(0.95 * n) - 1]:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    n = parser.parse_args().requests
    path = Path(tempfile.mkdtemp()) / "bench.db"
    store = open_store(str(path))
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        _fill(store, now)
        with serve(store, api_settings(str(path), login_rate_per_minute=6000, login_burst=1000)) as client:
            tokens = {
                name: client.post("/auth/login", json_body={"login": name, "password": PASSWORD}).json["access_token"]
                for name in ("admin_b", "branch_b")
            }
            admin, branch = tokens["admin_b"], tokens["branch_b"]
            _time("GET /alarms (county, 50)", lambda: client.get("/alarms", token=admin), n)
            _time("GET /alarms (branch scope, 50)", lambda: client.get("/alarms", token=branch), n)
            _time("GET /alarms?overdue=any", lambda: client.get("/alarms", token=admin, query={"overdue": "any"}), n)
            closed = {"state": "closed", "town_id": "t3"}
            _time("GET /alarms?state=closed&town_id=t3", lambda: client.get("/alarms", token=admin, query=closed), n)
            # e000's alarm 0 runs since 23 h: 24 h of minute power for its production and control point.
            _time("GET /alarms/{id} (2 points x 24 h)", lambda: client.get("/alarms/A0000", token=admin), n)
    finally:
        store.close()


if __name__ == "__main__":
    main()
