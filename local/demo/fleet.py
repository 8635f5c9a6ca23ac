"""Import a simulator fleet manifest (docs/simulator.md, "Fleet manifest") into the registry and the rule stores.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import csv
import json
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.demo.accounts import demo_phone
from monitoring._time import CHINA
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, Level, LevelMeasures
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.registry import ids
from monitoring.registry.import_list import import_enterprise_list
from monitoring.registry.models import (
    Association,
    Contact,
    ContactRole,
    County,
    Facility,
    FacilityKind,
    MonitoringPoint,
    PointStatus,
)
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.ports import Store

ROLES = {"production": FacilityKind.PRODUCTION, "control": FacilityKind.CONTROL, "main": FacilityKind.MAIN_INCOMING}
# scrypt cost for terminals imported by the demo: 2**10 instead of 2**14 so that a thousand terminals connecting at
# once are verified in seconds on a small machine. A real registry import keeps monitoring's default.
DEMO_SCRYPT_N = 2**10
# The simulator's list format (data/registry/rugao_2022_enterprises.csv), which the manifest's names come from.
LIST_COLUMNS = "seq,town,enterprise_name,install_category,enforcement_branch"


@dataclass
class FleetImport:
    enterprises: int = 0
    points: int = 0
    associations: int = 0
    terminals: int = 0
    unregistered_skipped: int = 0
    orders: int = 0
    missing: list[str] = field(default_factory=list)
    campaign: dict[str, int] = field(default_factory=dict)  # enterprises per campaign step (local/demo/campaign_seed)


def load_manifest(path: str | Path) -> dict[str, Any]:
    """Read and check a fleet manifest."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"fleet manifest {path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != "simulator-fleet-manifest" or doc.get("version") != 1:
        raise InvalidInputError(f"fleet manifest {path}: not a simulator-fleet-manifest version 1")
    if not isinstance(doc.get("enterprises"), list):
        raise InvalidInputError(f"fleet manifest {path}: enterprises missing")
    problem = _manifest_problem(doc)
    if problem:
        raise InvalidInputError(f"fleet manifest {path}: {problem}")
    return doc


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _local_time(value: Any) -> datetime | None:
    """A manifest time (terminal-local, no offset), or None when `value` is not one."""
    try:
        t = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return t if t is not None and t.tzinfo is None else None


def _manifest_problem(doc: dict[str, Any]) -> str | None:
    """The first thing import_fleet could not use (named by its place), or None: checked before any file is made."""
    settings = doc.get("settings", {})
    interval = settings.get("min_interval_min", 1) if isinstance(settings, dict) else None
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        return "settings.min_interval_min must be a positive whole number of minutes"
    for i, e in enumerate(doc["enterprises"]):
        where = f"enterprises[{i}]"
        if not isinstance(e, dict) or not _is_text(e.get("id")) or not _is_text(e.get("name")):
            return f"{where}: expected an object with id and name"
        problem = _points_problem(e) or _terminals_problem(e) or _orders_problem(e)
        if problem:
            return f"{where} ({e['id']}): {problem}"
    return None


def _points_problem(e: dict[str, Any]) -> str | None:
    points = e.get("points")
    if not isinstance(points, list):
        return "points: expected a list"
    for j, p in enumerate(points):
        if not isinstance(p, dict) or not all(_is_text(p.get(k)) for k in ("id", "code", "name")):
            return f"points[{j}]: expected an object with id, code and name"
        if p.get("role") not in ROLES:
            return f"points[{j}]: role must be one of {', '.join(ROLES)}, got {p.get('role')!r}"
        if not _is_number(p.get("rated_kw")) or p["rated_kw"] < 0:
            return f"points[{j}]: rated_kw must be a number of kW, got {p.get('rated_kw')!r}"
        if p.get("terminal_mn") is not None and (not isinstance(p.get("channel"), int) or p["channel"] < 0):
            return f"points[{j}]: a point on a terminal needs a channel number, got {p.get('channel')!r}"
    ids_ = {str(p["id"]) for p in points}
    links = e.get("associations", [])
    if not isinstance(links, list) or not all(
        isinstance(a, dict) and a.get("control") in ids_ and a.get("production") in ids_ for a in links
    ):
        return "associations: each needs a control and a production point of this enterprise"
    return None


def _terminals_problem(e: dict[str, Any]) -> str | None:
    terminals = e.get("terminals")
    if not isinstance(terminals, list):
        return "terminals: expected a list"
    for j, t in enumerate(terminals):
        if not isinstance(t, dict) or not _is_text(t.get("mn")) or not isinstance(t.get("registered", True), bool):
            return f"terminals[{j}]: expected an object with mn (and registered true/false)"
        if t.get("registered", True) and not _is_text(t.get("password")):
            return f"terminals[{j}] ({t['mn']}): a registered terminal needs its password"
    return None


def _orders_problem(e: dict[str, Any]) -> str | None:
    orders = e.get("orders", [])
    if not isinstance(orders, list):
        return "orders: expected a list"
    levels = {str(level) for level in Level}
    for j, o in enumerate(orders):
        if not isinstance(o, dict) or o.get("level") not in levels:
            return f"orders[{j}]: level must be one of {', '.join(sorted(levels))}"
        start, end = _local_time(o.get("from")), _local_time(o.get("to"))
        if start is None or end is None or start >= end:
            return f"orders[{j}]: from and to must be local times (no offset), from before to"
        if not _is_number(o.get("reduction", 0.0)) or not 0 <= o.get("reduction", 0.0) <= 1:
            return f"orders[{j}]: reduction must be a share between 0 and 1"
    return None


def _only_manifest_rows(csv_path: Path, manifest: dict[str, Any], out: Path) -> int:
    """Write to `out` the rows of the enterprise list that the manifest simulates (a --limit fleet imports only
    those); returns how many."""
    names = {str(e["name"]) for e in manifest["enterprises"]}
    kept = 0
    with csv_path.open(encoding="utf-8-sig", newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
        reader = csv.DictReader(src)
        if "enterprise_name" not in (reader.fieldnames or []):
            raise InvalidInputError(
                f"enterprise list {csv_path}: expected the columns {LIST_COLUMNS}, got {reader.fieldnames}"
            )
        writer = csv.DictWriter(dst, fieldnames=list(reader.fieldnames or []))
        writer.writeheader()
        for row in reader:
            if (row.get("enterprise_name") or "").strip() in names:
                writer.writerow(row)
                kept += 1
    return kept


def china_time(text: str) -> datetime:
    """A manifest time (terminal-local, no offset) as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA).astimezone(UTC)


def enterprise_id_for(county_id: str, entry: dict[str, Any]) -> str:
    """The registry id of a manifest enterprise (the list importer keys enterprises by name)."""
    return ids.enterprise_id(county_id, str(entry["name"]))


def import_fleet(
    store: Store,
    manifest: dict[str, Any],
    *,
    county_id: str = "rugao",
    enterprise_csv: Path | None = None,
    scrypt_n: int = DEMO_SCRYPT_N,
    minute_interval: int | None = None,
) -> FleetImport:
    """Registry (+ enterprise list when given) and emergency orders from the manifest; idempotent."""
    reg = store.registry
    out = FleetImport()
    if enterprise_csv is not None:
        county = County(county_id, "如皋市", "南通市", "江苏省")
        with tempfile.TemporaryDirectory() as tmp:
            listed = Path(tmp) / "list.csv"
            try:
                kept = _only_manifest_rows(enterprise_csv, manifest, listed)
            except (OSError, UnicodeDecodeError, csv.Error) as exc:
                raise InvalidInputError(f"enterprise list {enterprise_csv}: unreadable ({exc})") from None
            if not kept and manifest["enterprises"]:
                raise InvalidInputError(
                    f"enterprise list {enterprise_csv}: none of the manifest's enterprises is on it "
                    "(a fleet made from this list: python -m simulator manifest --csv LIST)"
                )
            report = import_enterprise_list(reg, listed, county=county, year=2022)
        if report.errors:
            raise InvalidInputError(f"enterprise list {enterprise_csv}: {report.errors[0]}")
    with reg.batch():
        for entry in manifest["enterprises"]:
            eid = enterprise_id_for(county_id, entry)
            if reg.find_enterprise(eid) is None:
                out.missing.append(str(entry["name"]))
                continue
            out.enterprises += 1
            interval = minute_interval or int(manifest.get("settings", {}).get("min_interval_min", 1))
            _import_enterprise(store, entry, eid, county_id, scrypt_n, interval, out)
    for entry in manifest["enterprises"]:
        _import_orders(store, entry, enterprise_id_for(county_id, entry), out)
    if out.enterprises:
        from local.demo.campaign_seed import seed_campaign

        today = datetime.fromisoformat(str(manifest.get("sim_start") or datetime.now(CHINA).isoformat()))
        today_cn = (today if today.tzinfo else today.replace(tzinfo=CHINA)).astimezone(CHINA).date()
        seeded = seed_campaign(store, manifest, county_id=county_id, today=today_cn)
        out.campaign = seeded.by_status
    return out


def _import_enterprise(
    store: Store, entry: dict[str, Any], eid: str, county_id: str, n: int, interval: int, out: FleetImport
) -> None:
    reg = store.registry
    enterprise = reg.get_enterprise(eid)
    if not enterprise.contacts:  # someone to notify: the demo's SMS reach the loopback provider stubs only
        contact = Contact(
            f"{enterprise.name[:20]}环保负责人", ContactRole.ENVIRONMENT_MANAGER, demo_phone(out.enterprises)
        )
        reg.put_enterprise(replace(enterprise, contacts=(contact,)))
    facility_of: dict[str, str] = {}
    for p in entry["points"]:
        fid = ids.facility_id(eid, str(p["id"]))
        facility_of[str(p["id"])] = fid
        if not _exists(reg.get_facility, fid):
            reg.put_facility(
                Facility(
                    fid, eid, str(p["code"]), str(p["name"]), ROLES[p["role"]], rated_power_kw=float(p["rated_kw"])
                )
            )
    registered = {t["mn"] for t in entry["terminals"] if t.get("registered", True)}
    for t in entry["terminals"]:
        if not t.get("registered", True):
            out.unregistered_skipped += 1
            continue
        if reg.find_terminal(t["mn"]) is None:
            reg.put_terminal(
                Terminal(
                    mn=t["mn"],
                    county_id=county_id,
                    password_hash=hash_password(t["password"], n=n),
                    enterprise_id=eid,
                    realtime_interval_s=30,
                    minute_interval_min=interval,
                )
            )
            out.terminals += 1
    for p in entry["points"]:
        pid = str(p["id"])
        if _exists(reg.get_point, pid):
            continue
        mn = p.get("terminal_mn") if p.get("terminal_mn") in registered else None
        point = MonitoringPoint(
            pid,
            eid,
            facility_of[pid],
            pid,
            str(p["name"]),
            ROLES[p["role"]],
            mn=mn,
            channel=f"{int(p['channel']):02d}" if mn else "",
            status=PointStatus.RUNNING,
        )
        reg.put_point(point)
        out.points += 1
    serves: dict[str, list[str]] = {}
    for a in entry.get("associations", []):
        serves.setdefault(str(a["control"]), []).append(facility_of[str(a["production"])])
    for control, productions in serves.items():
        aid = ids.association_id(eid, control)
        if _exists(reg.get_association, aid):
            continue
        reg.put_association(Association(aid, eid, f"{control} 治理线", facility_of[control], tuple(productions)))
        out.associations += 1


def _import_orders(store: Store, entry: dict[str, Any], eid: str, out: FleetImport) -> None:
    for i, order in enumerate(entry.get("orders", [])):
        level = Level(str(order["level"]))
        alert = EmergencyAlert(
            id=f"{entry['id']}-order-{i + 1}",
            level=level,
            start=china_time(order["from"]),
            end=china_time(order["to"]),
            title="模拟应急管控",
            enterprises=frozenset({eid}),
        )
        store.emergency.put_alert(alert)
        share = max(0.0, 1.0 - float(order.get("reduction", 0.0)))
        store.emergency.put_measures(EnterpriseMeasures(eid, {level: LevelMeasures(energy_share=share)}))
        out.orders += 1


def _exists(getter: Any, key: str) -> bool:
    try:
        getter(key)
    except NotFoundError:
        return False
    return True
