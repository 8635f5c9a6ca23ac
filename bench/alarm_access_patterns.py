"""Requests and read units of the alarm, report and audit access patterns on DynamoDB Local: two counties of 301
enterprises (6 branches, 20 towns), 10 alarms and 2 fault reports each, as the API's routes read them (≈ 1 min).

    .venv/bin/python -m bench.alarm_access_patterns [--enterprises 301]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bench._local_backend import local_backend
from monitoring.alarms.listing import AlarmQuery, Overdue
from monitoring.alarms.models import Alarm, AlarmState, AuditEntry, Cause, Episode, Response
from monitoring.alarms.queries import list_alarms, narrow
from monitoring.audit.models import AuditRecord
from monitoring.registry.models import Branch, County, Enterprise, EnterpriseCategory, Town
from monitoring.reports.models import FaultKind, FaultReport
from monitoring.storage import rules_codec
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store

COUNTIES = ("rugao", "haian")
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _alarm(eid: str, k: int, e: int) -> Alarm:
    created = NOW - timedelta(hours=3 * k + e % 7)
    state = (AlarmState.PENDING, AlarmState.RESPONDED, AlarmState.CLOSED)[k % 3]
    evidence = {"association": f"{eid}-a", "control_point": f"{eid}-q", "production_points": [f"{eid}-p"]}
    ep = Episode(created - timedelta(minutes=10), created + timedelta(hours=1), evidence, {f"{eid}-q": {"share": 1}})
    alarm = Alarm(f"{eid}-A{k}", "control_stopped", f"{eid}/{k}", eid, "high", state, (ep,), created, created)
    alarm = replace(alarm, point_ids=(f"{eid}-p", f"{eid}-q"))
    if state != AlarmState.PENDING:
        alarm = replace(alarm, response=Response(Cause.OTHER, "检修", (), "u", created + timedelta(minutes=20)))
    return alarm


def _fill_enterprise(store: Store, county: str, e: int) -> None:
    eid = f"{county}-e{e:03d}"
    store.registry.put_enterprise(
        Enterprise(eid, county, f"企业{e}", f"{county}-t{e % 20}", f"{county}-b{e % 6}", EnterpriseCategory.AIR_CONTROL)
    )
    for k in range(10):
        store.alarms.put(_alarm(eid, k, e), expected_version=None)
    for k in range(2):
        at = NOW - timedelta(days=k, minutes=e)
        store.reports.put_fault(FaultReport(f"{eid}-F{k}", eid, FaultKind.MONITORING, (f"{eid}-p",), at, at, "u", "x"))


def _fill(store: Store, enterprises: int) -> None:
    for county in COUNTIES:
        store.registry.put_county(County(county, county))
        for i in range(20):
            store.registry.put_town(Town(f"{county}-t{i}", county, f"镇{i}"))
        for i in range(6):
            store.registry.put_branch(Branch(f"{county}-b{i}", county, f"分局{i}"))
    with ThreadPoolExecutor(8) as pool:
        for county in COUNTIES:
            list(pool.map(lambda e, c=county: _fill_enterprise(store, c, e), range(enterprises)))


def _row(backend: DynamoDBBackend, label: str, call: Callable[[], Any]) -> None:
    backend.meter.reset()
    result = call()
    total = backend.meter.total()
    items = len(result) if isinstance(result, list | frozenset) else "-"
    print(f"{label:<58}{total.requests:>6}{total.read_units:>9.1f}{total.write_units:>9.1f}{items:>7}")


def _page(store: Store, query: AlarmQuery) -> list[Alarm]:
    return list_alarms(store, query, after=None, limit=50).alarms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=301, help="per county (1..400)")
    n = parser.parse_args().enterprises
    if not 1 <= n <= 400:
        parser.error("--enterprises: 1..400")
    with local_backend("bench") as backend:
        store = backend.store()
        _fill(store, n)
        _measure(backend, store)


def _measure(backend: DynamoDBBackend, store: Store) -> None:
    title = "access pattern (county rugao; units as DynamoDB Local reports)"
    print(f"{title:<58}{'req':>6}{'RRU':>9}{'WRU':>9}{'items':>7}")
    c = "rugao"
    _row(backend, "alarm list, county-wide, first page of 50", lambda: _page(store, AlarmQuery(county_id=c, now=NOW)))
    for kind, value in (("branch", f"{c}-b1"), ("town", f"{c}-t3")):
        kw = {"branches": (value,)} if kind == "branch" else {"towns": (value,)}
        _row(backend, f"  {kind} filter: registry (its enterprises)", partial(narrow, store, c, None, **kw))
        scope = narrow(store, c, None, **kw)
        query = AlarmQuery(enterprise_ids=scope, county_id=c, now=NOW)
        places = {"branch_ids" if kind == "branch" else "town_ids": frozenset({value})}
        named = replace(query, **places)  # type: ignore[arg-type]
        _row(backend, f"  {kind} filter ({len(scope or ())} enterprises): alarm page", partial(_page, store, named))
        _row(backend, "    without the place (county index walk or per enterprise)", partial(_page, store, query))
    for label, states in (("pending", {AlarmState.PENDING}), ("closed", {AlarmState.CLOSED})):
        query = AlarmQuery(states=frozenset(states), county_id=c, now=NOW)
        _row(backend, f"alarm list by state={label}, first page", partial(_page, store, query))
    overdue = AlarmQuery(overdue=Overdue.ANY, county_id=c, now=NOW)
    _row(backend, "alarm list overdue=any, first page", partial(_page, store, overdue))
    open_states = [AlarmState.PENDING, AlarmState.DISPATCHED]
    escalation = partial(store.alarms.list, states=open_states, limit=100_000)
    _row(backend, "escalation: open alarms of every county (list(states=open))", escalation)
    eid = f"{c}-e005"
    _row(backend, "an enterprise's open alarms (7 of 10)", lambda: store.alarms.open_for_enterprise(eid))
    model = backend.models.state
    _row(
        backend,
        "  before: gsi1 alarment# + filter is_open (reads all 10)",
        lambda: list(model.gsi1.query(f"alarment#{eid}", filter_condition=model.is_open == True)),  # type: ignore[attr-defined]  # noqa: E712
    )
    _row(
        backend,
        "fault reports, county-wide, first page of 50",
        lambda: _first(store.reports.recent_faults(None, county_id=c)),
    )
    for k in range(6):
        store.audit.append(AuditEntry(f"{eid}-A0", NOW + timedelta(minutes=k), "u", "bureau", "web", "x", None, None))
    _row(backend, "an alarm's audit (6 entries)", lambda: store.audit.for_alarm(f"{eid}-A0"))
    for k in range(200):
        store.audit_trail.append(
            AuditRecord(NOW + timedelta(seconds=k), "u1", "admin", "127.0.0.1", "web", "alarm.respond", "alarm", "x1")
        )
    trail: dict[str, Any] = {"since": NOW, "until": NOW + timedelta(hours=1), "object_type": "alarm", "object_id": "x1"}
    _row(backend, "audit trail of one object, page of 50 (200 records)", lambda: store.audit_trail.query(**trail)[0])
    _writes(backend, store)


def _first(stream: Any, limit: int = 50) -> list[Any]:
    out = []
    for item in stream:
        out.append(item)
        if len(out) == limit:
            break
    return out


def _body(alarm: Alarm) -> str:
    return json.dumps(rules_codec.alarm_to_dict(alarm), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _writes(backend: DynamoDBBackend, store: Store) -> None:
    print(f"\n{'alarm write (enterprise county cached)':<58}{'req':>6}{'RRU':>9}{'WRU':>9}")
    fresh = _alarm("rugao-e007", 20, 7)
    fresh = replace(fresh, id="bench-new", subject="bench/new", state=AlarmState.PENDING, response=None)
    stored: list[Alarm] = []
    _row(
        backend,
        "raise (alarm + pointer + open marker)",
        lambda: stored.append(store.alarms.put(fresh, expected_version=None)),
    )
    a = stored[-1]
    answered = replace(a, state=AlarmState.RESPONDED, response=Response(Cause.OTHER, "x", (), "u", NOW))
    _row(
        backend,
        "respond (alarm + pointer + open marker)",
        lambda: stored.append(store.alarms.put(answered, expected_version=a.version)),
    )
    b = stored[-1]
    _row(
        backend,
        "close (alarm + pointer, marker deleted)",
        lambda: store.alarms.put(replace(b, state=AlarmState.CLOSED, closed_at=NOW), expected_version=b.version),
    )
    marker = backend.models.state(f"openent#{b.enterprise_id}", "alarm#x", t="openent", body=_body(b))
    _row(backend, "  of which: the open marker alone (PutItem, not transactional)", marker.save)


if __name__ == "__main__":
    main()
