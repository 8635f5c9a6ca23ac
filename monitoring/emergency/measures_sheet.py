"""The 应急减排清单 sheet (一厂一策): each enterprise's measures per alert level, by point code, as CSV or XLSX.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from monitoring.emergency.models import LEVEL_NAMES, EnterpriseMeasures, Level, LevelMeasures
from monitoring.emergency.ports import EmergencyRepository
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.registry import ids
from monitoring.registry.models import FacilityKind
from monitoring.registry.tabular import RowError, Table, read_csv, read_xlsx
from monitoring.storage.ports import RegistryRepository

R = TypeVar("R")

SHEET = "应急减排措施"
COLUMNS = {
    "enterprise_name": ("企业名称",),
    "level": ("预警级别",),
    "stop_points": ("停产点位编码", "停产点位"),
    "energy_share": ("用电量占基线比例", "生产用电占基线比例"),
    "forbidden_hours": ("错峰停产时段", "错峰时段"),
    "note": ("措施说明", "备注"),
}
REQUIRED = ("enterprise_name", "level")
NOTE = (
    "每行填一家企业在一个预警级别下的措施；预警级别填黄色、橙色或红色。停产点位编码填应停产的产污（或产治一体）"
    "点位编码，多个用顿号、逗号或分号分隔；用电量占基线比例填 0 到 1 之间的小数或百分数（如 0.6 或 60%），"
    "表示预警期间生产用电不得超过基线的该比例；错峰停产时段填北京时间整点区间，如 8-12、14-18（含起点不含终点）。"
    "三项措施至少填一项。导入后，表中出现的企业原有措施全部以本表为准。"
)
_LEVELS = {
    **{name: level for level, name in LEVEL_NAMES.items()},
    **{name[0]: level for level, name in LEVEL_NAMES.items()},
    **{f"{name}预警": level for level, name in LEVEL_NAMES.items()},
    **{level.value: level for level in Level},
}
_SPLIT = re.compile(r"[;；,，、\s]+")
PRODUCING_KINDS = (FacilityKind.PRODUCTION, FacilityKind.COMBINED)


def parse_level(text: str) -> Level:
    """黄/黄色/黄色预警/yellow (and the same for 橙, 红)."""
    level = _LEVELS.get(text.strip().lower())
    if level is None:
        raise InvalidInputError(f"预警级别应为黄色、橙色或红色: {text!r}")
    return level


def parse_share(text: str) -> float | None:
    """0.6 or 60% → 0.6; blank → None. The share must be in [0, 1]."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text[:-1]) / 100 if text.endswith(("%", "％")) else float(text)
    except ValueError:
        raise InvalidInputError(f"比例应为 0 到 1 之间的小数或百分数: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"比例应在 0 到 1 之间（或 0% 到 100%）: {text!r}")
    return round(value, 4)


def parse_hours(text: str) -> tuple[tuple[int, int], ...]:
    """'8-12、14-18' (also 08:00-12:00, 8～12) → ((8, 12), (14, 18)): local [from, to) whole hours."""
    spans: list[tuple[int, int]] = []
    for part in _SPLIT.split(text.strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})(?::00)?[-~～—–至到](\d{1,2})(?::00)?", part)
        if m is None:
            raise InvalidInputError(f"时段格式应为 8-12 这样的整点区间: {part!r}")
        a, b = int(m.group(1)), int(m.group(2))
        if not 0 <= a < b <= 24:
            raise InvalidInputError(f"时段起点须早于终点，且在 0 到 24 时之间: {part!r}")
        spans.append((a, b))
    return tuple(sorted(spans))


def read_sheet(path: Path) -> Table:
    """The measures table from a .csv, or from the 应急减排措施 worksheet of an .xlsx."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = read_xlsx(path, SHEET, COLUMNS, required=REQUIRED, optional_sheet=False)
        assert table is not None  # a required sheet is never None
        return table
    return read_csv(path, COLUMNS, required=REQUIRED, sheet=SHEET)


@dataclass(slots=True)
class MeasuresReport:
    errors: list[RowError] = field(default_factory=list)
    enterprises: int = 0
    levels: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class _Reader:
    def __init__(self, registry: RegistryRepository, county_id: str, table: Table) -> None:
        self.registry, self.county_id, self.table = registry, county_id, table
        self.report = MeasuresReport()

    def err(self, row: int, column: str, message: str) -> None:
        self.report.errors.append(RowError(SHEET, row, self.table.headers.get(column, COLUMNS[column][0]), message))

    def cell(self, row: int, column: str, parse: Callable[[str], R], v: Mapping[str, str]) -> R | None:
        try:
            return parse(v.get(column, ""))
        except InvalidInputError as exc:
            self.err(row, column, str(exc))
            return None

    def stop_points(self, row: int, eid: str, text: str) -> tuple[str, ...] | None:
        out: list[str] = []
        for code in (c for c in _SPLIT.split(text.strip()) if c):
            try:
                point = self.registry.get_point(ids.point_id(self.county_id, code))
            except (NotFoundError, InvalidInputError):
                self.err(row, "stop_points", f"点位编码 {code} 未登记")
                return None
            if point.enterprise_id != eid:
                self.err(row, "stop_points", f"点位 {code} 不属于该企业")
                return None
            if point.role not in PRODUCING_KINDS:
                self.err(row, "stop_points", f"点位 {code} 不是产污（或产治一体）点位，不能列为停产点位")
                return None
            if point.point_id not in out:
                out.append(point.point_id)
        return tuple(out)

    def row(self, row: int, v: Mapping[str, str]) -> tuple[str, Level, LevelMeasures] | None:
        before = len(self.report.errors)
        name = v.get("enterprise_name", "").strip()
        eid = ids.enterprise_id(self.county_id, name)
        if not name or self.registry.find_enterprise(eid) is None:
            self.err(row, "enterprise_name", f"企业「{name}」不在名单中")
        level = self.cell(row, "level", parse_level, v)
        share = self.cell(row, "energy_share", parse_share, v)
        hours = self.cell(row, "forbidden_hours", parse_hours, v) or ()
        if len(self.report.errors) > before or level is None:
            return None
        stops = self.stop_points(row, eid, v.get("stop_points", ""))
        if stops is None:
            return None
        if not stops and share is None and not hours:
            self.err(row, "stop_points", "停产点位编码、用电量占基线比例、错峰停产时段至少填写一项")
            return None
        return eid, level, LevelMeasures(stops, share, hours)


def read_measures(
    registry: RegistryRepository, county_id: str, table: Table
) -> tuple[dict[str, EnterpriseMeasures], MeasuresReport]:
    """Validate every row; the measures per enterprise, and the report (its errors name row and column)."""
    reader = _Reader(registry, county_id, table)
    levels: dict[str, dict[Level, LevelMeasures]] = {}
    seen: dict[tuple[str, Level], int] = {}
    for row, v in table.rows:
        parsed = reader.row(row, v)
        if parsed is None:
            continue
        eid, level, measures = parsed
        if (eid, level) in seen:
            reader.err(row, "level", f"该企业的{LEVEL_NAMES[level]}预警措施与第{seen[(eid, level)]}行重复")
            continue
        seen[(eid, level)] = row
        levels.setdefault(eid, {})[level] = measures
    out = {eid: EnterpriseMeasures(eid, by_level) for eid, by_level in levels.items()}
    reader.report.enterprises, reader.report.levels = len(out), len(seen)
    return out, reader.report


def import_measures(
    registry: RegistryRepository,
    emergency: EmergencyRepository,
    county_id: str,
    table: Table,
    *,
    dry_run: bool = False,
) -> MeasuresReport:
    """Validate the sheet, then replace the measures of every enterprise it names (nothing on any error)."""
    measures, report = read_measures(registry, county_id, table)
    if report.ok and not dry_run:
        for eid in sorted(measures):
            emergency.put_measures(measures[eid])
    return report


def headers() -> list[str]:
    return [aliases[0] for aliases in COLUMNS.values()]


def write_template(directory: Path) -> list[Path]:
    """应急减排清单.xlsx (the sheet plus 填写说明) and 应急减排措施.csv, headers from COLUMNS."""
    from openpyxl import Workbook

    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / f"{SHEET}.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerow(headers())
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None  # a new workbook always has its first sheet
    ws.title = SHEET
    ws.append(headers())
    notes = workbook.create_sheet("填写说明")
    notes.append(["工作表", "说明"])
    notes.append([SHEET, NOTE])
    xlsx = directory / "应急减排清单.xlsx"
    workbook.save(xlsx)
    return [xlsx, csv_path]
