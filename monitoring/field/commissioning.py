"""Commissioning judged on the server, the one judge, from the point's newest reading and the terminal's GPS (the
mini-program shows its verdicts); the result is kept as a maintenance log entry and, when every check passes,
the enterprise moves from 已安装 to 已联网."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.maintenance.models import CheckResult, MaintenanceEntry, MaintenanceKind, Verdict, new_entry_id
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import Enterprise, InstallStatus, MonitoringPoint
from monitoring.registry.service import advance_install_status
from monitoring.registry.terminal import GpsFix, Terminal
from monitoring.storage.ports import Store

MIN_PHASE_VOLTAGE_V = 50.0  # far below 220 V: a phase that reads less is not connected
NEGATIVE_POWER_KW = -0.05  # noise around zero is not a reversed CT
SEQUENCE_TOLERANCE_DEG = 25.0
PAIRING_TOLERANCE_DEG = 60.0  # a current this far from its own phase's voltage sits on another phase
_PHASES = ("ua", "ub", "uc")


def _num(values: Mapping[str, float], key: str) -> float | None:
    v = values.get(key)
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def _lag(a: float, b: float) -> float:
    """(a - b) as an angle in [0, 360)."""
    return (a - b) % 360.0


def _phase(q: str) -> str:
    return q[1:].upper()


def _fixed0(v: float) -> str:
    return f"{v:.0f}"


def voltage_check(v: Mapping[str, float]) -> CheckResult:
    title = "三相电压均有"
    seen = {q: x for q in _PHASES if (x := _num(v, q)) is not None}
    low = [q for q in _PHASES if q in seen and seen[q] < MIN_PHASE_VOLTAGE_V]
    missing = [q for q in _PHASES if q not in seen]
    if low:
        return CheckResult("voltage", title, Verdict.FAIL, f"{'、'.join(map(_phase, low))}相无电压", seen)
    if missing:
        detail = f"最新数据缺少{'、'.join(map(_phase, missing))}相电压"
        return CheckResult("voltage", title, Verdict.UNKNOWN, detail, seen)
    return CheckResult("voltage", title, Verdict.PASS, " / ".join(f"{_fixed0(seen[q])}V" for q in _PHASES), seen)


def direction_check(v: Mapping[str, float]) -> CheckResult:
    title = "电流方向正确（无负功率）"
    present = {q: x for q in ("pa", "pb", "pc", "p") if (x := _num(v, q)) is not None}
    if not present:
        return CheckResult("direction", title, Verdict.UNKNOWN, "最新数据没有有功功率")
    negative = [q for q, x in present.items() if x < NEGATIVE_POWER_KW]
    if negative:
        names = "、".join("总" if q == "p" else f"{_phase(q)}相" for q in negative)
        return CheckResult("direction", title, Verdict.FAIL, f"{names}有功功率为负：电流互感器可能接反", present)
    return CheckResult("direction", title, Verdict.PASS, "各相有功功率均不为负", present)


def sequence_check(v: Mapping[str, float]) -> CheckResult:
    title = "相序正确（未接错相）"
    u = [_num(v, f"angle_{q}") for q in _PHASES]
    i = [_num(v, f"angle_i{p}") for p in "abc"]
    if any(x is None for x in u):
        return CheckResult("sequence", title, Verdict.UNKNOWN, "最新数据没有电压相角，无法判断")
    a, b, c = (float(x) for x in u if x is not None)
    values = {f"angle_{q}": x for q, x in zip(_PHASES, (a, b, c), strict=True)}
    values |= {f"angle_i{p}": x for p, x in zip("abc", i, strict=True) if x is not None}
    positive = abs(_lag(a, b) - 120) <= SEQUENCE_TOLERANCE_DEG and abs(_lag(b, c) - 120) <= SEQUENCE_TOLERANCE_DEG
    if not positive:
        return CheckResult("sequence", title, Verdict.FAIL, "电压相序不是 A→B→C（正序）", values)
    if all(x is not None for x in i):
        wrong = []
        for k, (ik, uk) in enumerate(zip(i, (a, b, c), strict=True)):
            d = _lag(float(ik or 0.0), uk)
            if min(d, 360 - d) > PAIRING_TOLERANCE_DEG:
                wrong.append("ABC"[k])
        if wrong:
            detail = f"{'、'.join(wrong)}相电流与本相电压不对应：电流互感器接错相"
            return CheckResult("sequence", title, Verdict.FAIL, detail, values)
        return CheckResult("sequence", title, Verdict.PASS, "电压正序，各相电流与本相电压对应", values)
    return CheckResult("sequence", title, Verdict.PASS, "电压正序（没有电流相角，未核对电流）", values)


def gps_check(gps: GpsFix | None) -> CheckResult:
    title = "有定位（GPS）"
    if gps is not None and math.isfinite(gps.lat) and math.isfinite(gps.lon) and not (gps.lat == 0 and gps.lon == 0):
        return CheckResult(
            "gps", title, Verdict.PASS, f"{gps.lat:.5f}, {gps.lon:.5f}", {"lat": gps.lat, "lon": gps.lon}
        )
    return CheckResult("gps", title, Verdict.FAIL, "终端没有上报定位")


def commissioning_checks(values: Mapping[str, float] | None, gps: GpsFix | None) -> tuple[CheckResult, ...]:
    """The four checks; every one must pass (an unknown is not a pass)."""
    v = values or {}
    return (voltage_check(v), direction_check(v), sequence_check(v), gps_check(gps))


def newest_reading(found: Mapping[ReadingKind, Reading]) -> Reading | None:
    """What the checklist judges: the realtime reading, else the first kind present (minute, hour, day)."""
    if ReadingKind.REALTIME in found:
        return found[ReadingKind.REALTIME]
    return next((found[k] for k in ReadingKind if k in found), None)


@dataclass(frozen=True, slots=True)
class Commissioning:
    entry: MaintenanceEntry
    reading_at: datetime | None  # the data time of the reading judged
    install_before: InstallStatus
    install_after: InstallStatus


def commission(
    store: Store,
    terminal: Terminal,
    points: Sequence[MonitoringPoint],
    *,
    point_id: str | None,
    by: str,
    photo_ids: Sequence[str],
    text: str,
    now: datetime,
) -> Commissioning:
    """Judge the terminal's point (the named one, else its first) and record the result; when every check
    passes and the enterprise is 已安装, advance it one step to 已联网 (the registry's step rule)."""
    if terminal.enterprise_id is None or not points:
        raise InvalidInputError("终端尚未绑定点位，请先绑定再调试")
    chosen = [p for p in points if p.point_id == point_id] if point_id else [points[0]]
    if not chosen:
        raise NotFoundError("该终端没有这个点位")
    point = chosen[0]
    reading = newest_reading(store.readings.latest_all_kinds(point.point_id))
    checks = commissioning_checks(reading.values if reading is not None else None, terminal.gps)
    passed = all(c.verdict is Verdict.PASS for c in checks)
    entry = MaintenanceEntry(
        entry_id=new_entry_id(), enterprise_id=point.enterprise_id, kind=MaintenanceKind.COMMISSIONING, at=now,
        by=by, recorded_at=now, mn=terminal.mn, point_id=point.point_id, text=text, photo_ids=tuple(photo_ids),
        checks=checks, passed=passed,
    )  # fmt: skip
    store.maintenance.put_entry(entry)
    enterprise: Enterprise = store.registry.get_enterprise(point.enterprise_id)
    before = after = enterprise.install_status
    if passed and before is InstallStatus.INSTALLED and enterprise.exemption is None:
        after = advance_install_status(store.registry, enterprise.enterprise_id, InstallStatus.NETWORKED).install_status
    return Commissioning(entry, reading.data_time if reading is not None else None, before, after)


def latest_commissioning(store: Store, enterprise_id: str, mn: str) -> MaintenanceEntry | None:
    """The newest commissioning entry of the terminal (within its enterprise's log)."""
    before: tuple[datetime, str] | None = None
    while True:
        page = store.maintenance.entries_for(enterprise_id, limit=200, before=before)
        for e in page:
            if e.kind is MaintenanceKind.COMMISSIONING and e.mn == mn:
                return e
        if len(page) < 200:
            return None
        before = (page[-1].at, page[-1].entry_id)
