"""The data `make bench-api` measures against: the demo registry (301 enterprises, imported as `make demo` does),
a month of readings, hourly and daily aggregates, alarms in every state, and the demo accounts, written through
the store's repositories into a data directory that `python -m local run` opens. Cached: a stamp file holds the
parameters, and a run with the same parameters reuses the directory. Design and figures: docs/api.md "Speed".
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local.demo.accounts import ensure_demo_accounts
from local.demo.runner import prepare
from local.workers import DB_FILE
from monitoring._time import CHINA
from monitoring.alarms.models import Alarm, AlarmState, AuditEntry, Cause, Episode, Response, Verification
from monitoring.evaluation.catalogue import RULES
from monitoring.readings.models import Aggregate, AggregatePeriod, QuantityStats, Reading, ReadingKind
from monitoring.registry.models import Enterprise, FacilityKind, MonitoringPoint
from monitoring.rules.state_docs import EnterpriseStatus
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store

SEED_VERSION = 3  # bump when what is seeded changes: the cached directory is then rebuilt
STAMP = "bench-api-seed.json"
# Platform time at the end of the seeded month: Monday 14:00 Beijing time, the demo's day.
ANCHOR = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
# What a 3-phase meter channel reports in its minute data (the simulator's quantities).
QUANTITIES = "ua ub uc uab ubc uca ia ib ic p pa pb pc q s pf freq ep_fwd ep_rev eq_fwd".split()
# A month of alarms, by rule, as a county of 301 sees them (most are data and terminal trouble).
RULE_WEIGHTS = {
    "terminal_offline": 30,
    "data_incomplete": 15,
    "control_stopped": 15,
    "power_loss": 10,
    "control_low_load": 10,
    "start_stop_order": 6,
    "circuit_phase_loss": 4,
    "tamper_flatline": 4,
    "circuit_current_imbalance": 4,
    "tamper_zero_current": 2,
}


@dataclass(frozen=True)
class SeedParams:
    days: int = 30  # readings and aggregates of this many days before ANCHOR
    interval_min: int = 5  # minute-data interval (the demo fleet's --min-interval)
    full_day_all: bool = True  # the last 24 h of minute data for every point
    month_enterprises: int = 10  # enterprises whose points carry the whole month of minute data
    alarms_per_day: int = 50
    seed: int = 1
    version: int = SEED_VERSION


def stamp_matches(data: Path, params: SeedParams) -> bool:
    try:
        doc = json.loads((data / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("params") == asdict(params)


def month_enterprises(store: Store, n: int) -> list[Enterprise]:
    """The list's first enterprise (the demo accounts' scope) and every k-th after it."""
    every = sorted(store.registry.list_enterprises("rugao"), key=lambda e: (e.list_seq or 0, e.enterprise_id))
    step = max(1, len(every) // max(1, n))
    return every[::step][:n]


def _power(point: MonitoringPoint, at: datetime) -> float:
    """A day shift 08:00–18:00 Beijing time with a lunch dip; standby load otherwise."""
    local = at.astimezone(CHINA)
    hour = local.hour + local.minute / 60
    rated = 60.0 if point.role is FacilityKind.PRODUCTION else 18.0
    working = 8 <= hour < 18 and local.weekday() < 6
    base = rated * (0.55 if 11.5 <= hour < 12.5 else 0.85) if working else rated * 0.04
    return round(base * (1 + 0.05 * math.sin(hash(point.point_id) % 97 + hour * 7)), 3)


def _reading(point: MonitoringPoint, at: datetime, energy: float) -> Reading:
    p = _power(point, at)
    i = p * 1000 / (1.732 * 400 * 0.9)
    u = round(230.5 + 1.5 * math.sin(at.timestamp() / 997), 2)  # the grid's voltage wanders
    values = {"ua": u, "ub": u - 0.6, "uc": u + 0.4, "uab": u * 1.732, "ubc": u * 1.731, "uca": u * 1.733}
    values |= {"ia": round(i, 3), "ib": round(i * 0.98, 3), "ic": round(i * 1.01, 3), "p": p}
    values |= {"pa": round(p / 3, 3), "pb": round(p / 3, 3), "pc": round(p / 3, 3), "q": round(p * 0.48, 3)}
    values |= {"s": round(p * 1.11, 3), "pf": 0.9, "freq": 50.0, "ep_fwd": round(energy, 2), "ep_rev": 0.0}
    values |= {"eq_fwd": round(energy * 0.48, 2)}
    return Reading(
        point.point_id,
        at,
        ReadingKind.MINUTE,
        values,
        {q: "N" for q in QUANTITIES},
        mn=point.mn or "",
        received_at=at + timedelta(seconds=7),
    )


def _minute_readings(
    points: list[MonitoringPoint], start: datetime, end: datetime, step: int, counters: dict[str, float]
) -> Iterator[Reading]:
    """Time-major, as terminals send: every point at one data time, then the next. `counters` carries each
    point's energy counter (kWh) from one call to the next, so it only ever grows."""
    at = start
    while at < end:
        for point in points:
            energy = counters.get(point.point_id, 100_000.0) + _power(point, at) * step / 60
            counters[point.point_id] = energy
            yield _reading(point, at, energy)
        at += timedelta(minutes=step)


def _put_readings(store: Store, readings: Iterator[Reading], batch: int = 20_000) -> int:
    n, chunk = 0, []
    for r in readings:
        chunk.append(r)
        if len(chunk) >= batch:
            with store.batch():
                store.readings.put_readings(chunk)
            n, chunk = n + len(chunk), []
    if chunk:
        with store.batch():
            store.readings.put_readings(chunk)
    return n + len(chunk)


def _aggregates(store: Store, points: list[MonitoringPoint], days: int) -> int:
    n = 0
    first_day = (ANCHOR.astimezone(CHINA) - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    for d in range(days + 1):
        day = first_day + timedelta(days=d)
        with store.batch():
            for point in points:
                total = 0.0
                for h in range(24):
                    start = (day + timedelta(hours=h)).astimezone(UTC)
                    if start >= ANCHOR:
                        break
                    kw = [_power(point, start + timedelta(minutes=m)) for m in range(0, 60, 5)]
                    kwh = sum(kw) / len(kw)
                    total += kwh
                    stats = {"p": QuantityStats(60, min(kw), max(kw), kwh), "pf": QuantityStats(60, 0.9, 0.9, 0.9)}
                    store.readings.put_aggregate(Aggregate(point.point_id, AggregatePeriod.HOUR, start, 60, stats, kwh))
                    n += 1
                if day.astimezone(UTC) + timedelta(days=1) <= ANCHOR:  # only whole days get a daily roll-up
                    store.readings.put_aggregate(
                        Aggregate(point.point_id, AggregatePeriod.DAY, day.astimezone(UTC), 1440, energy_kwh=total)
                    )
                    n += 1
    return n


def _alarm(rng: random.Random, n: int, enterprise: Enterprise, store: Store, created: datetime) -> Alarm:
    rule = rng.choices(list(RULE_WEIGHTS), weights=list(RULE_WEIGHTS.values()))[0]
    points = store.registry.list_points(enterprise.enterprise_id)
    lines = store.registry.list_associations(enterprise.enterprise_id)
    evidence: dict[str, Any] = {}
    subject = f"enterprise:{enterprise.enterprise_id}"
    chosen = points[:1]
    if lines and rule in ("control_stopped", "control_low_load", "start_stop_order"):
        line = lines[n % len(lines)]
        facilities = {line.control_facility_id, *line.production_facility_ids}
        chosen = [p for p in points if p.facility_id in facilities]
        control = [p.point_id for p in chosen if p.facility_id == line.control_facility_id]
        evidence = {"association": line.association_id, "control_point": (control or [""])[0]}
        evidence["production_points"] = [p.point_id for p in chosen if p.point_id not in control]
        evidence |= {"production_kw": 52.4, "control_kw": 0.3}
        subject = f"assoc:{line.association_id}"
    elif chosen:
        subject = f"point:{chosen[0].point_id}"
    age = ANCHOR - created
    start = created - timedelta(minutes=rng.randint(5, 60))
    active = age < timedelta(hours=6) and rng.random() < 0.5
    end = None if active else min(ANCHOR, created + timedelta(minutes=rng.randint(20, 600)))
    episode = Episode(start, end, evidence, {"completeness": round(rng.uniform(0.8, 1.0), 3)})
    alarm = Alarm(
        f"BA{n:06d}",
        rule,
        f"{subject}/{n}",
        enterprise.enterprise_id,
        RULES[rule].severity,
        AlarmState.PENDING,
        (episode,),
        created,
        created,
        point_ids=tuple(p.point_id for p in chosen),
    )
    # States by age: last day mostly open, older mostly closed (the 2 h and 24 h limits mostly kept).
    roll = rng.random()
    responded = created + timedelta(minutes=rng.randint(10, 150))
    if age < timedelta(hours=2) and roll < 0.7 or roll < 0.03:
        return alarm
    alarm = replace(
        alarm,
        state=AlarmState.RESPONDED,
        response=Response(rng.choice(list(Cause)), "已安排检修，设备恢复运行。", (), "enterprise", responded),
        updated_at=responded,
        version=1,
    )
    if age < timedelta(minutes=8 * 60) and roll < 0.8 or roll < 0.08:
        return alarm
    dispatched = responded + timedelta(minutes=rng.randint(10, 240))
    alarm = replace(
        alarm,
        state=AlarmState.DISPATCHED,
        dispatched_to=enterprise.branch_id,
        dispatched_at=dispatched,
        updated_at=dispatched,
        version=2,
    )
    if age < timedelta(days=1) and roll < 0.9 or roll < 0.12:
        return alarm
    verified = dispatched + timedelta(hours=rng.randint(1, 20))
    alarm = replace(
        alarm,
        state=AlarmState.VERIFIED,
        verification=Verification("现场核查属实，已整改。", (), "branch", verified),
        updated_at=verified,
        version=3,
    )
    if roll < 0.15:
        return alarm
    closed = verified + timedelta(hours=rng.randint(1, 30))
    return replace(alarm, state=AlarmState.CLOSED, closed_at=closed, close_note="已整改", updated_at=closed, version=4)


def _trail(a: Alarm) -> list[AuditEntry]:
    """The audit entries of the steps the alarm went through, as the workflow writes them."""
    src = "ip:10.32.1.20 via web"
    steps: list[tuple[datetime | None, str, str, str, str]] = [
        (a.created_at, "rules", "system", "raised", AlarmState.PENDING.value),
        (a.response.at if a.response else None, "demo_enterprise", "enterprise", "respond", "responded"),
        (a.dispatched_at, "demo_branch", "branch", "dispatch", "dispatched"),
        (a.verification.at if a.verification else None, "demo_branch", "branch", "verify", "verified"),
        (a.closed_at, "demo_branch", "branch", "close", "closed"),
    ]
    out, state = [], None
    for at, actor, role, action, to in steps:
        if at is not None:
            out.append(AuditEntry(a.id, at, actor, role, src if role != "system" else "scheduler", action, state, to))
            state = to
    return out


def _alarms(store: Store, params: SeedParams, month: list[Enterprise]) -> int:
    rng = random.Random(params.seed)
    everyone = store.registry.list_enterprises("rugao")
    n = 0
    with store.batch():
        for day in range(params.days):
            for _ in range(params.alarms_per_day):
                created = ANCHOR - timedelta(days=day, seconds=rng.randint(0, 86_399))
                # a third of them on the month enterprises, so their details carry a month of series
                who = rng.choice(month) if rng.random() < 0.33 else rng.choice(everyone)
                alarm = _alarm(rng, n, who, store, created)
                store.alarms.put(alarm, expected_version=None)
                for entry in _trail(alarm):
                    store.audit.append(entry)
                n += 1
    return n


def _statuses(store: Store) -> None:
    with store.batch():
        for i, e in enumerate(store.registry.list_enterprises("rugao")):
            points = store.registry.list_points(e.enterprise_id)
            status = ("producing", "producing", "producing", "stopped", "curtailed", "unknown")[i % 6]
            running = tuple(p.point_id for p in points) if status == "producing" else ()
            EnterpriseStatus(e.enterprise_id, ANCHOR, status, running, (), (), 48.0, 16.0).save(store.rule_state)


def seed(data: Path, params: SeedParams, log: Any = print) -> dict[str, Any]:
    """Build the data directory from scratch; returns what was written and how long it took."""
    took: dict[str, float] = {}
    t = time.perf_counter()
    if data.exists():
        shutil.rmtree(data)
    args = argparse.Namespace(
        keep=False,
        seed=params.seed,
        start="2026-11-30T08:00:00",
        limit=None,
        mix=None,
        min_interval=params.interval_min,
    )
    prepare(args, data)
    took["registry"] = time.perf_counter() - t
    store = open_store(data / DB_FILE)
    try:
        reg = store.registry
        everyone = reg.list_enterprises("rugao")
        points = [p for e in everyone for p in reg.list_points(e.enterprise_id)]
        month = month_enterprises(store, params.month_enterprises)
        month_ids = {e.enterprise_id for e in month}
        month_points = [p for p in points if p.enterprise_id in month_ids]
        log(f"registry: {len(everyone)} enterprises, {len(points)} points ({took['registry']:.0f} s)")
        t = time.perf_counter()
        last_day = ANCHOR - timedelta(days=1)
        counters: dict[str, float] = {}
        n = _put_readings(
            store,
            _minute_readings(
                month_points, ANCHOR - timedelta(days=params.days), last_day, params.interval_min, counters
            ),
        )
        if params.full_day_all:
            n += _put_readings(store, _minute_readings(points, last_day, ANCHOR, params.interval_min, counters))
        else:
            n += _put_readings(store, _minute_readings(month_points, last_day, ANCHOR, params.interval_min, counters))
        took["readings"] = time.perf_counter() - t
        log(f"readings: {n} ({took['readings']:.0f} s, {n / took['readings']:.0f}/s)")
        t = time.perf_counter()
        aggregates = _aggregates(store, points, params.days)
        took["aggregates"] = time.perf_counter() - t
        log(f"aggregates: {aggregates} ({took['aggregates']:.0f} s)")
        t = time.perf_counter()
        alarms = _alarms(store, params, month)
        _statuses(store)
        accounts = ensure_demo_accounts(store)
        took["alarms_accounts"] = time.perf_counter() - t
    finally:
        store.close()
    size = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
    with closing(sqlite3.connect(data / DB_FILE)) as db:
        (body_bytes,) = db.execute("SELECT avg(length(body)) FROM reading").fetchone()
    summary = {
        "params": asdict(params),
        "anchor": ANCHOR.isoformat(),
        "enterprises": len(everyone),
        "points": len(points),
        "month_enterprises": sorted(month_ids),
        "readings": n,
        "aggregates": aggregates,
        "alarms": alarms,
        "accounts": [a.username for a in accounts],
        "seconds": {k: round(v, 1) for k, v in took.items()},
        "bytes": size,
        "reading_body_bytes": round(body_bytes or 0),
    }
    (data / STAMP).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary
