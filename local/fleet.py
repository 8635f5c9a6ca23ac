"""Import a simulator fleet manifest (docs/simulator.md, "Fleet manifest") into the registry and the rule stores.

The enterprise list (towns, branches, enterprises) comes from the bureau's CSV through monitoring's own importer;
the manifest then adds, per enterprise, one facility and one monitoring point per manifest point (point id = the
manifest's, so expected alarms can be matched), the associations (治理线), the registered terminals with their
passwords, and the emergency orders. Importing twice changes nothing (existing records are kept).
"""

from __future__ import annotations

import csv
import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, Level, LevelMeasures
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.registry import ids
from monitoring.registry.import_list import import_enterprise_list
from monitoring.registry.models import Association, County, Facility, FacilityKind, MonitoringPoint, PointStatus
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.ports import Store

CHINA = timezone(timedelta(hours=8))
ROLES = {"production": FacilityKind.PRODUCTION, "control": FacilityKind.CONTROL, "main": FacilityKind.MAIN_INCOMING}
# scrypt cost for terminals imported by the demo: 2**10 instead of 2**14 so that a thousand terminals connecting at
# once are verified in seconds on a small machine. A real registry import keeps monitoring's default.
DEMO_SCRYPT_N = 2**10


@dataclass
class FleetImport:
    enterprises: int = 0
    points: int = 0
    associations: int = 0
    terminals: int = 0
    unregistered_skipped: int = 0
    orders: int = 0
    missing: list[str] = field(default_factory=list)


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
    return doc


def _only_manifest_rows(csv_path: Path, manifest: dict[str, Any], out: Path) -> Path:
    """The rows of the enterprise list that the manifest simulates (a --limit fleet imports only those)."""
    names = {str(e["name"]) for e in manifest["enterprises"]}
    with csv_path.open(encoding="utf-8-sig", newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=list(reader.fieldnames or []))
        writer.writeheader()
        for row in reader:
            if (row.get("enterprise_name") or "").strip() in names:
                writer.writerow(row)
    return out


def china_time(text: str) -> datetime:
    """A manifest time (terminal-local, no offset) as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA).astimezone(UTC)


def enterprise_id_for(county_id: str, entry: dict[str, Any]) -> str:
    """The registry id of a manifest enterprise (the list importer keys enterprises by name)."""
    return ids.enterprise_id(county_id, str(entry["name"]))


def import_fleet(
    store: Store,
    rules_stores: Any,
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
            listed = _only_manifest_rows(enterprise_csv, manifest, Path(tmp) / "list.csv")
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
        _import_orders(rules_stores, entry, enterprise_id_for(county_id, entry), out)
    return out


def _import_enterprise(
    store: Store, entry: dict[str, Any], eid: str, county_id: str, n: int, interval: int, out: FleetImport
) -> None:
    reg = store.registry
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


def _import_orders(rules_stores: Any, entry: dict[str, Any], eid: str, out: FleetImport) -> None:
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
        rules_stores.emergency.put_alert(alert)
        share = max(0.0, 1.0 - float(order.get("reduction", 0.0)))
        rules_stores.emergency.put_measures(EnterpriseMeasures(eid, {level: LevelMeasures(energy_share=share)}))
        out.orders += 1


def _exists(getter: Any, key: str) -> bool:
    try:
        getter(key)
    except NotFoundError:
        return False
    return True
