"""Import a bureau's enterprise list (序号, 镇（区、街道）, 企业名称, 安装类型, 所属分局) into the registry.

All rows are validated before anything is written; any error means nothing is written. Re-importing the same
list changes nothing; a changed town, branch or category updates the enterprise and keeps its other fields
(installation status, contacts, exemption).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from monitoring.errors import InvalidInputError
from monitoring.registry import ids
from monitoring.registry.models import Branch, County, Enterprise, EnterpriseCategory, Town, TownKind, check_text
from monitoring.registry.tabular import RowError, read_csv
from monitoring.storage.ports import RegistryRepository

SHEET = "企业名单"
COLUMNS = {
    "seq": ("序号",),
    "town": ("镇（区、街道）", "镇(区、街道)", "镇", "镇街"),
    "enterprise_name": ("企业名称",),
    "install_category": ("安装类型", "类别"),
    "enforcement_branch": ("所属分局", "执法分局"),
}


@dataclass(slots=True)
class ImportReport:
    """What an import did (or would have done) and every problem found, by row and column."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    towns: int = 0
    branches: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def town_kind(name: str) -> TownKind:
    if name.endswith("街道"):
        return TownKind.STREET
    if name.endswith("区"):
        return TownKind.DISTRICT
    return TownKind.TOWN


@dataclass(frozen=True, slots=True)
class _Row:
    seq: int
    town: str
    name: str
    category: EnterpriseCategory
    branch: str


def _parse(number: int, values: dict[str, str], report: ImportReport, headers: dict[str, str]) -> _Row | None:
    errors_before = len(report.errors)

    def err(column: str, message: str) -> None:
        report.errors.append(RowError(SHEET, number, headers.get(column, column), message))

    seq = 0
    try:
        seq = int(values["seq"])
        if seq <= 0:
            raise ValueError
    except ValueError:
        err("seq", f"序号应为正整数: {values['seq']!r}")
    parsed: dict[str, str] = {}
    for column, what in (
        ("town", "镇（区、街道）"),
        ("enterprise_name", "企业名称"),
        ("enforcement_branch", "所属分局"),
    ):
        try:
            parsed[column] = check_text(values[column], what)
        except InvalidInputError as exc:
            err(column, str(exc))
    category = None
    try:
        category = EnterpriseCategory.parse(values["install_category"])
    except InvalidInputError as exc:
        err("install_category", str(exc))
    if len(report.errors) > errors_before or category is None:
        return None
    return _Row(seq, parsed["town"], parsed["enterprise_name"], category, parsed["enforcement_branch"])


def import_enterprise_list(
    repo: RegistryRepository, path: Path, *, county: County, year: int, dry_run: bool = False
) -> ImportReport:
    """Validate every row, then write jurisdictions and enterprises (unless errors or dry_run)."""
    report = ImportReport()
    table = read_csv(path, COLUMNS, required=list(COLUMNS), sheet=SHEET)
    headers = dict(table.headers)
    rows: list[tuple[int, _Row]] = []
    seen_names: dict[str, int] = {}
    seen_seq: dict[int, int] = {}
    for number, values in table.rows:
        row = _parse(number, values, report, headers)
        if row is None:
            continue
        if row.name in seen_names:
            report.errors.append(
                RowError(SHEET, number, headers["enterprise_name"], f"企业名称与第{seen_names[row.name]}行重复")
            )
            continue
        if row.seq in seen_seq:
            report.errors.append(RowError(SHEET, number, headers["seq"], f"序号与第{seen_seq[row.seq]}行重复"))
            continue
        seen_names[row.name], seen_seq[row.seq] = number, number
        rows.append((number, row))
    if not rows and not report.errors:
        report.errors.append(RowError(SHEET, 1, "", "没有数据行"))
    if report.errors or dry_run:
        return report

    with repo.batch():
        _write(repo, county, year, rows, report)
    return report


def _write(
    repo: RegistryRepository, county: County, year: int, rows: list[tuple[int, _Row]], report: ImportReport
) -> None:
    repo.put_county(county)
    towns = {r.town for _, r in rows}
    branches = {r.branch for _, r in rows}
    for name in sorted(towns):
        repo.put_town(Town(ids.town_id(county.county_id, name), county.county_id, name, town_kind(name)))
    for name in sorted(branches):
        repo.put_branch(Branch(ids.branch_id(county.county_id, name), county.county_id, name))
    report.towns, report.branches = len(towns), len(branches)

    for _, row in rows:
        eid = ids.enterprise_id(county.county_id, row.name)
        fresh = Enterprise(
            enterprise_id=eid,
            county_id=county.county_id,
            name=row.name,
            town_id=ids.town_id(county.county_id, row.town),
            branch_id=ids.branch_id(county.county_id, row.branch),
            category=row.category,
            list_year=year,
            list_seq=row.seq,
        )
        existing = repo.find_enterprise(eid)
        if existing is None:
            repo.put_enterprise(fresh)
            report.created += 1
            continue
        merged = dataclasses.replace(
            existing,
            town_id=fresh.town_id,
            branch_id=fresh.branch_id,
            category=fresh.category,
            list_year=year,
            list_seq=row.seq,
        )
        if merged == existing:
            report.unchanged += 1
        else:
            repo.put_enterprise(merged)
            report.updated += 1
