"""Maintenance over the store: each terminal's inspection against the 14-day limit, repair obligations opened by a
fault report (监控设备故障) or a terminal_offline / power_loss alarm and met by a repair record within 24 h,
recording inspections and repairs, and each enterprise's service provider."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring._time import require_utc
from monitoring.accounts.models import Role
from monitoring.alarms.models import AlarmState
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.maintenance.checklist import check_marks
from monitoring.maintenance.models import MaintenanceEntry, MaintenanceKind, ReadingSeen, ServiceProvider, new_entry_id
from monitoring.maintenance.schedule import (
    REPAIR_LIMIT,
    InspectionDue,
    RepairState,
    inspection_due,
    repair_state,
)
from monitoring.readings.models import QUANTITY_INFO, ReadingKind
from monitoring.reports.models import FaultKind
from monitoring.storage.ports import Store

REPAIR_RULES = frozenset({"terminal_offline", "power_loss"})
LOOKBACK = timedelta(days=30)  # obligations opened longer ago are history, not work lists
_ENTRIES = 1000  # an enterprise's newest log entries read per pass (14-day inspections: years of them)


@dataclass(frozen=True, slots=True)
class RepairObligation:
    """A fault the provider must repair within 24 h: from a fault report or an offline/power-loss alarm."""

    id: str  # "fault:<report id>" | "alarm:<alarm id>"
    enterprise_id: str
    mn: str
    source: str  # fault | alarm
    title: str
    opened_at: datetime
    deadline: datetime
    state: RepairState
    repaired_at: datetime | None = None
    entry_id: str = ""

    @property
    def overdue(self) -> bool:
        return self.state is RepairState.OVERDUE


def _entries(store: Store, enterprise_id: str) -> list[MaintenanceEntry]:
    return store.maintenance.entries_for(enterprise_id, limit=_ENTRIES)


def inspections(
    store: Store, county_id: str, now: datetime, enterprise_ids: Iterable[str] | None = None
) -> list[InspectionDue]:
    """Every bound terminal of the county (or of these enterprises) against the 14-day limit, most urgent first."""
    now = require_utc(now, "now")
    scope = None if enterprise_ids is None else frozenset(enterprise_ids)
    terminals = [
        t
        for t in store.registry.list_terminals(county_id)
        if t.enterprise_id is not None and (scope is None or t.enterprise_id in scope)
    ]
    out = []
    for enterprise_id in sorted({t.enterprise_id for t in terminals if t.enterprise_id}):
        last: dict[str, tuple[datetime, str]] = {}
        commissioned: dict[str, datetime] = {}
        for e in reversed(_entries(store, enterprise_id)):  # oldest first: later entries overwrite
            if e.kind is MaintenanceKind.INSPECTION and e.mn and e.checklist:  # a full inspection, not a note
                last[e.mn] = (e.at, e.entry_id)
            elif e.kind is MaintenanceKind.COMMISSIONING and e.mn and e.passed and e.mn not in commissioned:
                commissioned[e.mn] = e.at
        for t in terminals:
            if t.enterprise_id == enterprise_id:
                out.append(
                    inspection_due(
                        t.mn, enterprise_id, now, last_inspection=last.get(t.mn), commissioned_at=commissioned.get(t.mn)
                    )
                )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(out, key=lambda d: (d.due_at or far, d.mn))


def _mn_of_points(store: Store, point_ids: Sequence[str]) -> str:
    for point_id in point_ids:
        try:
            mn = store.registry.get_point(point_id).mn
        except NotFoundError:
            continue
        if mn:
            return mn
    return ""


def repair_obligations(
    store: Store, now: datetime, enterprise_ids: Iterable[str] | None = None, *, lookback: timedelta = LOOKBACK
) -> list[RepairObligation]:
    """Obligations opened within `lookback` (for these enterprises, or all), most urgent first."""
    now = require_utc(now, "now")
    scope = None if enterprise_ids is None else frozenset(enterprise_ids)
    since = now - lookback
    opened: list[tuple[str, str, str, str, str, datetime, datetime | None]] = []
    for alarm in store.alarms.list(since=since, limit=100_000):
        if alarm.rule not in REPAIR_RULES or alarm.state is AlarmState.RETRACTED:
            continue
        if scope is not None and alarm.enterprise_id not in scope:
            continue
        mn = alarm.subject.removeprefix("terminal:") if alarm.subject.startswith("terminal:") else ""
        title = "终端离线/数据中断" if alarm.rule == "terminal_offline" else "监测回路掉电"
        mn = mn or _mn_of_points(store, alarm.point_ids)
        opened.append((f"alarm:{alarm.id}", alarm.enterprise_id, mn, "alarm", title, alarm.created_at,
                       alarm.cleared_at))  # fmt: skip
    for report in store.reports.recent_faults(scope):
        if report.filed_at < since:
            break  # newest first
        if report.kind is FaultKind.MONITORING:
            opened.append((f"fault:{report.id}", report.enterprise_id, _mn_of_points(store, report.point_ids),
                           "fault", "监控设备故障申报", report.filed_at, None))  # fmt: skip
    repairs: dict[str, MaintenanceEntry] = {}
    for enterprise_id in sorted({o[1] for o in opened}):
        for e in reversed(_entries(store, enterprise_id)):  # oldest first: the first repair meets the obligation
            if e.kind is MaintenanceKind.REPAIR and e.obligation and e.obligation not in repairs:
                repairs[e.obligation] = e
    out = []
    for oid, enterprise_id, mn, source, title, at, recovered in opened:
        done = repairs.get(oid)
        state = repair_state(at, now, repaired_at=done.at if done else None, recovered_at=recovered)
        out.append(RepairObligation(oid, enterprise_id, mn, source, title, at, at + REPAIR_LIMIT, state,
                                    done.at if done else None, done.entry_id if done else ""))  # fmt: skip
    return sorted(out, key=lambda o: (o.deadline, o.id))


def find_obligation(store: Store, obligation_id: str, now: datetime) -> RepairObligation:
    source, _, ref = obligation_id.partition(":")
    if source == "alarm":
        try:
            enterprise_id = store.alarms.get(ref).enterprise_id
        except NotFoundError:
            enterprise_id = ""
    elif source == "fault":
        try:
            enterprise_id = store.reports.get_fault(ref).enterprise_id
        except NotFoundError:
            enterprise_id = ""
    else:
        enterprise_id = ""
    found = []
    if enterprise_id:
        found = [o for o in repair_obligations(store, now, [enterprise_id]) if o.id == obligation_id]
    if not found:
        raise NotFoundError(f"维修任务 {obligation_id} 不存在或已超过 {LOOKBACK.days} 天")
    return found[0]


def _platform_value(store: Store, point_id: str, code: str) -> tuple[float | None, datetime | None]:
    """The platform's latest value of the quantity at the point (real-time, else minute data)."""
    for kind in (ReadingKind.REALTIME, ReadingKind.MINUTE):
        r = store.readings.latest(point_id, kind)
        if r is not None and code in r.values:
            return r.values[code], r.data_time
    return None, None


def record_inspection(
    store: Store,
    *,
    mn: str,
    by: str,
    at: datetime,
    now: datetime,
    checklist: Mapping[str, bool],
    readings: Sequence[tuple[str, str, float]] = (),
    photo_ids: Sequence[str] = (),
    text: str = "",
) -> MaintenanceEntry:
    """An inspection of a bound terminal; each (point, quantity, value read on site) is stored beside the
    platform's latest value of it, so a terminal that reports other than what its meter shows stands out."""
    terminal = store.registry.get_terminal(mn)
    if terminal.enterprise_id is None:
        raise InvalidInputError("终端尚未绑定企业，不能巡检")
    points = {p.point_id for p in store.registry.points_for_mn(mn)}
    seen = []
    for point_id, code, value in readings:
        if point_id not in points:
            raise InvalidInputError(f"点位 {point_id} 不在终端 {mn} 上")
        if code not in QUANTITY_INFO:
            raise InvalidInputError(f"未知的读数项目：{code}（如 p 有功功率、ia A相电流、ep_fwd 正向有功电能）")
        if not math.isfinite(value):
            raise InvalidInputError("现场读数无效")
        platform, platform_at = _platform_value(store, point_id, code)
        seen.append(ReadingSeen(point_id, code, value, platform, platform_at))
    entry = MaintenanceEntry(
        entry_id=new_entry_id(), enterprise_id=terminal.enterprise_id, kind=MaintenanceKind.INSPECTION,
        at=at, by=by, recorded_at=now, mn=mn, items=(), text=text, photo_ids=tuple(photo_ids),
        checklist=check_marks(checklist), readings=tuple(seen),
    )  # fmt: skip
    _check_time(entry)
    store.maintenance.put_entry(entry)
    return entry


def record_repair(
    store: Store,
    *,
    obligation_id: str,
    by: str,
    at: datetime,
    now: datetime,
    text: str,
    parts: Sequence[str] = (),
    photo_ids: Sequence[str] = (),
) -> MaintenanceEntry:
    """A repair meeting an obligation; the platform, not the installer, says whether the terminal is back online
    (a frame received after the fault opened)."""
    obligation = find_obligation(store, obligation_id, now)
    if obligation.state in (RepairState.DONE, RepairState.DONE_LATE):
        raise InvalidInputError("该维修任务已有维修记录")
    if at < obligation.opened_at:
        raise InvalidInputError("维修时间不能早于故障发生")
    if not text.strip():
        raise InvalidInputError("请填写维修内容")
    terminal = store.registry.find_terminal(obligation.mn) if obligation.mn else None
    back = None
    if terminal is not None:
        back = bool(terminal.online and terminal.last_frame_at and terminal.last_frame_at > obligation.opened_at)
    entry = MaintenanceEntry(
        entry_id=new_entry_id(), enterprise_id=obligation.enterprise_id, kind=MaintenanceKind.REPAIR, at=at, by=by,
        recorded_at=now, mn=obligation.mn, text=text.strip(), photo_ids=tuple(photo_ids),
        obligation=obligation.id, parts=tuple(p.strip() for p in parts if p.strip()), back_online=back,
    )  # fmt: skip
    _check_time(entry)
    store.maintenance.put_entry(entry)
    return entry


def _check_time(entry: MaintenanceEntry) -> None:
    if entry.at > entry.recorded_at:
        raise InvalidInputError("作业时间不能晚于现在")


def set_provider(store: Store, provider: ServiceProvider) -> ServiceProvider:
    """Name the enterprise's service provider; its accounts must be installer accounts of the enterprise's county
    that are enabled."""
    enterprise = store.registry.get_enterprise(provider.enterprise_id)
    for account_id in provider.account_ids:
        try:
            account = store.accounts.get_account(account_id)
        except NotFoundError:
            raise InvalidInputError(f"账号 {account_id} 不存在") from None
        if account.role is not Role.INSTALLER or account.county_id != enterprise.county_id or account.disabled:
            raise InvalidInputError(f"账号 {account.username} 不是本县可用的运维（安装）人员账号")
    store.maintenance.put_provider(provider)
    return provider
