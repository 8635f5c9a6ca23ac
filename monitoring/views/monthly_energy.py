"""One calendar month's energy per enterprise (the 月度用电汇总 report): production, control and main kWh summed from
the daily aggregates (today from its hourly ones so far), with the days counted, with any figure and complete.
A role with no figure in the month is None (无数据), never 0. The XLSX has Chinese headers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from monitoring._time import china_day, china_day_bounds
from monitoring.errors import InvalidInputError
from monitoring.readings.models import AggregatePeriod
from monitoring.registry.models import Enterprise
from monitoring.storage.ports import Store
from monitoring.views.energy import ROLE_OF

_NO_SEQ = 1 << 30


@dataclass(frozen=True, slots=True)
class MonthEnergy:
    enterprise: Enterprise
    production_kwh: float | None
    control_kwh: float | None
    main_kwh: float | None
    days: int  # days of the month counted: all of a past month, up to today in the current one
    days_with_data: int  # days where some metered point had a figure
    days_complete: int  # days where every metered point had one


def month_days(month: date, now: datetime) -> tuple[date, date]:
    """The first and the last counted China day of `month` (any day in it); a month after today is refused."""
    first = month.replace(day=1)
    today = china_day(now)
    if first > today:
        raise InvalidInputError("不能统计未来的月份")
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, min(last, today)


def enterprises_in_scope(
    store: Store,
    county_id: str,
    visible: frozenset[str] | None,
    *,
    town_id: str | None = None,
    branch_id: str | None = None,
) -> list[Enterprise]:
    """The caller's enterprises (None = the county), in the campaign list's order, then by name."""
    found = store.registry.list_enterprises(county_id, town_id=town_id, branch_id=branch_id)
    mine = [e for e in found if visible is None or e.enterprise_id in visible]
    return sorted(mine, key=lambda e: (e.list_year or 0, e.list_seq or _NO_SEQ, e.name, e.enterprise_id))


def month_energy(store: Store, enterprise: Enterprise, month: date, now: datetime) -> MonthEnergy:
    first, last = month_days(month, now)
    today = china_day(now)
    first_start, _ = china_day_bounds(first)
    last_start, last_end = china_day_bounds(last)
    days_end = last_start if last == today else last_end  # today comes from its hours, not a daily aggregate
    points = [p for p in store.registry.list_points(enterprise.enterprise_id) if p.role in ROLE_OF]
    totals: dict[str, float] = defaultdict(float)
    seen: dict[date, set[str]] = defaultdict(set)
    for p in points:
        role = ROLE_OF[p.role]
        for a in store.readings.aggregates(p.point_id, AggregatePeriod.DAY, first_start, days_end):
            if a.energy_kwh is not None:
                totals[role] += a.energy_kwh
                seen[china_day(a.start)].add(p.point_id)
        if last == today:
            for a in store.readings.aggregates(p.point_id, AggregatePeriod.HOUR, last_start, last_end):
                if a.energy_kwh is not None:
                    totals[role] += a.energy_kwh
                    seen[today].add(p.point_id)
    figures = {role: round(totals[role], 3) if role in totals else None for role in ("production", "control", "main")}
    wanted = {p.point_id for p in points}
    return MonthEnergy(
        enterprise=enterprise,
        production_kwh=figures["production"],
        control_kwh=figures["control"],
        main_kwh=figures["main"],
        days=(last - first).days + 1,
        days_with_data=sum(1 for ids in seen.values() if ids),
        days_complete=sum(1 for ids in seen.values() if wanted and ids >= wanted),
    )


HEADERS = (
    "序号",
    "企业名称",
    "统一社会信用代码",
    "镇（区）",
    "执法分局",
    "产污设施用电（kWh）",
    "治污设施用电（kWh）",
    "总进线用电（kWh）",
    "统计天数",
    "有数据天数",
    "数据完整天数",
)


def write_xlsx(
    month: date, rows: Sequence[MonthEnergy], towns: dict[str, str], branches: dict[str, str], out: IO[bytes]
) -> None:
    """The month's rows as one sheet; 无数据 where a role had no figure."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{month:%Y年%m月}用电汇总"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for n, r in enumerate(rows, start=1):
        e = r.enterprise
        sheet.append(
            [
                n,
                e.name,
                e.credit_code,
                towns.get(e.town_id, e.town_id),
                branches.get(e.branch_id, e.branch_id),
                *("无数据" if v is None else v for v in (r.production_kwh, r.control_kwh, r.main_kwh)),
                r.days,
                r.days_with_data,
                r.days_complete,
            ]
        )
    for column, width in zip("ABCDEFGHIJK", (6, 36, 22, 12, 14, 16, 16, 16, 10, 10, 12), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    book.save(out)
