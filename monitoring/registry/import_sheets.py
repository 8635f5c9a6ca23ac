"""Import enterprise-profile / facility / point / treatment-line / terminal sheets from an installer or a town.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.registry import ids
from monitoring.registry.import_list import ImportReport
from monitoring.registry.import_profile import plan_profiles
from monitoring.registry.models import (
    Association,
    AssociationParams,
    Enterprise,
    Facility,
    FacilityKind,
    MonitoringPoint,
    PointCodeParts,
    PointStatus,
)
from monitoring.registry.sheet_columns import SHEETS
from monitoring.registry.tabular import RowError, Table, read_csv, read_xlsx
from monitoring.registry.terminal import Terminal, hash_password, verify_password
from monitoring.storage.ports import RegistryRepository

R = TypeVar("R")

_YES = {"是", "y", "yes", "1", "true"}


def read_workbook(path: Path) -> dict[str, Table]:
    """Every known sheet present in an XLSX workbook."""
    tables = {}
    for sheet, (columns, required, optional) in SHEETS.items():
        table = read_xlsx(path, sheet, columns, required=required, optional_sheet=optional)
        if table is not None:
            tables[sheet] = table
    return tables


def read_csv_sheets(paths: Mapping[str, Path]) -> dict[str, Table]:
    """CSV files given per sheet name (设施, 点位, 治理线, 终端)."""
    return {sheet: read_csv(p, SHEETS[sheet][0], required=SHEETS[sheet][1], sheet=sheet) for sheet, p in paths.items()}


class _Importer:
    def __init__(self, repo: RegistryRepository, county_id: str, tables: Mapping[str, Table]) -> None:
        self.repo, self.county_id, self.tables = repo, county_id, tables
        self.report = ImportReport()
        self.facilities: dict[tuple[str, str], Facility] = {}  # (enterprise_id, code) → facility
        self.planned: list[Any] = []
        self.bindings: dict[tuple[str, str], int] = {}  # (mn, channel) → row

    def err(self, sheet: str, row: int, column: str, message: str) -> None:
        header = self.tables[sheet].headers.get(column, column) if column else ""
        self.report.errors.append(RowError(sheet, row, header, message))

    def cell(self, sheet: str, row: int, column: str, parse: Callable[[str], R], values: Mapping[str, str]) -> R | None:
        try:
            return parse(values.get(column, ""))
        except (InvalidInputError, ValueError) as exc:
            self.err(sheet, row, column, str(exc) if isinstance(exc, InvalidInputError) else f"取值无效: {exc}")
            return None

    def enterprise(self, sheet: str, row: int, values: Mapping[str, str]) -> str | None:
        name = values.get("enterprise_name", "").strip()
        eid = ids.enterprise_id(self.county_id, name)
        if not name or self.repo.find_enterprise(eid) is None:
            self.err(sheet, row, "enterprise_name", f"企业「{name}」不在名单中（请先导入企业名单）")
            return None
        return eid

    def facility_ref(self, sheet: str, row: int, column: str, eid: str, code: str) -> Facility | None:
        found = self.facilities.get((eid, code))
        if found is None:
            try:
                found = self.repo.get_facility(ids.facility_id(eid, code))
            except NotFoundError:
                found = None
        if found is None:
            self.err(sheet, row, column, f"设施编码 {code!r} 在该企业下不存在")
        return found

    def run(self) -> None:
        if "企业" in self.tables:
            self.planned.extend(plan_profiles(self.repo, self.county_id, self.tables["企业"], self.err))
        for row, v in self.tables["设施"].rows if "设施" in self.tables else []:
            self.facility_row(row, v)
        for row, v in self.tables["终端"].rows if "终端" in self.tables else []:
            self.terminal_row(row, v)
        seen_codes: dict[str, int] = {}
        for row, v in self.tables["点位"].rows if "点位" in self.tables else []:
            code = v.get("point_code", "")
            if code in seen_codes:
                self.err("点位", row, "point_code", f"点位编码与第{seen_codes[code]}行重复")
                continue
            seen_codes[code] = row
            self.point_row(row, v)
        for row, v in self.tables["治理线"].rows if "治理线" in self.tables else []:
            self.line_row(row, v)

    def facility_row(self, row: int, v: Mapping[str, str]) -> None:
        errors_before = len(self.report.errors)
        eid = self.enterprise("设施", row, v)
        kind = self.cell("设施", row, "kind", FacilityKind.parse, v)
        power = self.cell("设施", row, "rated_power_kw", _optional_float, v)
        current = self.cell("设施", row, "rated_current_a", _optional_float, v)
        if eid is None or kind is None or len(self.report.errors) > errors_before:
            return
        code = v["code"].strip().upper()
        if (eid, code) in self.facilities:
            self.err("设施", row, "code", f"设施编码 {code} 在本表中重复")
            return
        try:
            facility = Facility(
                ids.facility_id(eid, code), eid, code, v["name"], kind, v.get("process", ""), power, current
            )
        except InvalidInputError as exc:
            self.err("设施", row, "code" if "编码" in str(exc) else "name", str(exc))
            return
        self.facilities[(eid, code)] = facility
        self.planned.append(facility)

    def point_row(self, row: int, v: Mapping[str, str]) -> None:
        eid = self.enterprise("点位", row, v)
        ct = self.cell("点位", row, "ct_ratio", lambda s: float(s) if s else 1.0, v)
        pt = self.cell("点位", row, "pt_ratio", lambda s: float(s) if s else 1.0, v)
        status = self.cell("点位", row, "status", lambda s: PointStatus.parse(s) if s else PointStatus.COMMISSIONING, v)
        if eid is None or ct is None or pt is None or status is None:
            return
        fac = self.facility_ref("点位", row, "facility_code", eid, v["facility_code"].strip().upper())
        if fac is None:
            return
        parts = PointCodeParts(v.get("permit_code", ""), fac.code, v.get("circuit_no", ""))
        mn = v.get("mn", "").strip() or None
        try:
            point = MonitoringPoint(
                point_id=ids.point_id(self.county_id, v["point_code"]),
                enterprise_id=eid,
                facility_id=fac.facility_id,
                point_code=v["point_code"],
                name=v["name"],
                role=fac.kind,
                mn=mn,
                channel=v.get("channel", ""),
                code_parts=parts,
                ct_ratio=ct,
                pt_ratio=pt,
                status=status,
            )
        except InvalidInputError as exc:
            self.err("点位", row, _column_of(str(exc)), str(exc))
            return
        if mn is not None and status is not PointStatus.DISABLED:
            key = (mn, point.channel)
            if key in self.bindings:
                self.err("点位", row, "channel", f"终端 {mn} 通道 {point.channel!r} 与第{self.bindings[key]}行重复")
                return
            self.bindings[key] = row
            for other in self.repo.points_for_mn(mn):
                if (
                    other.point_id != point.point_id
                    and other.channel == point.channel
                    and other.status is not PointStatus.DISABLED
                ):
                    self.err("点位", row, "channel", f"终端 {mn} 通道 {point.channel!r} 已绑定点位 {other.point_code}")
                    return
        self.planned.append(point)

    def line_row(self, row: int, v: Mapping[str, str]) -> None:
        eid = self.enterprise("治理线", row, v)
        if eid is None:
            return
        control = self.facility_ref("治理线", row, "control_code", eid, v["control_code"].strip().upper())
        codes = [c.strip().upper() for c in re.split(r"[;；,，、\s]+", v["production_codes"]) if c.strip()]
        production = [self.facility_ref("治理线", row, "production_codes", eid, c) for c in codes]
        if control is not None and control.kind not in (FacilityKind.CONTROL, FacilityKind.COMBINED):
            self.err("治理线", row, "control_code", f"{control.code} 不是治污设施")
            return
        params = self.cell("治理线", row, "start_lead_s", lambda _: _line_params(v), v)
        if control is None or params is None or not codes or any(p is None for p in production):
            if not codes:
                self.err("治理线", row, "production_codes", "至少填写一个产污设施编码")
            return
        try:
            line = Association(
                ids.association_id(eid, v["name"]),
                eid,
                v["name"],
                control.facility_id,
                tuple(p.facility_id for p in production if p is not None),
                params,
            )
        except InvalidInputError as exc:
            self.err("治理线", row, "name", str(exc))
            return
        self.planned.append(line)

    def terminal_row(self, row: int, v: Mapping[str, str]) -> None:
        eid = self.enterprise("终端", row, v)
        interval = self.cell("终端", row, "minute_interval_min", _interval_min, v)
        if v.get("minute_interval_min", "").strip() and interval is None:
            return
        mn = v["mn"].strip()
        existing = self.repo.find_terminal(mn) if re.fullmatch(r"[A-Za-z0-9]{1,24}", mn) else None
        password = v.get("password", "")
        if existing is None and not password:
            self.err("终端", row, "password", "新登记的终端必须填写密码")
            return
        if eid is None:
            return
        if existing is not None and existing.enterprise_id not in (None, eid):
            self.err("终端", row, "mn", f"终端 {mn} 已属于其他企业")
            return
        try:
            base = existing or Terminal(mn=mn, county_id=self.county_id, password_hash=hash_password(password))
            terminal = dataclasses.replace(
                base,
                enterprise_id=eid,
                model=v.get("model", "") or base.model,
                firmware=v.get("firmware", "") or base.firmware,
                profile=v.get("profile", "") or base.profile,
                modbus_crc=v.get("modbus_crc", "").strip().lower() in _YES,
                minute_interval_min=interval or base.minute_interval_min,
            )
            if existing is not None and password:
                if not verify_password(existing, password):
                    terminal = dataclasses.replace(terminal, password_hash=hash_password(password))
        except InvalidInputError as exc:
            self.err("终端", row, "mn", str(exc))
            return
        self.planned.append(terminal)

    def write(self) -> None:
        for record in self.planned:
            existing, put = _lookup(self.repo, record)
            if existing is None:
                put(record)
                self.report.created += 1
            elif dataclasses.replace(record, version=existing.version) == existing:
                self.report.unchanged += 1
            else:
                put(dataclasses.replace(record, version=existing.version))
                self.report.updated += 1


def _lookup(repo: RegistryRepository, record: Any) -> tuple[Any, Callable[[Any], Any]]:
    def find(getter: Callable[[str], Any], key: str) -> Any:
        try:
            return getter(key)
        except NotFoundError:
            return None

    if isinstance(record, Enterprise):
        return repo.find_enterprise(record.enterprise_id), repo.put_enterprise
    if isinstance(record, Facility):
        return find(repo.get_facility, record.facility_id), repo.put_facility
    if isinstance(record, MonitoringPoint):
        return find(repo.get_point, record.point_id), repo.put_point
    if isinstance(record, Association):
        return find(repo.get_association, record.association_id), repo.put_association
    return repo.find_terminal(record.mn), repo.put_terminal


def _interval_min(text: str) -> int | None:
    """The terminal's reporting interval of minute data, whole minutes 1-1440 (blank: keep / one minute)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInputError(f"上报间隔应为整数分钟: {text}") from None
    if not value.is_integer() or not 1 <= value <= 1_440:
        raise InvalidInputError(f"上报间隔应为 1 到 1440 之间的整数分钟: {text}")
    return int(value)


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _line_params(v: Mapping[str, str]) -> AssociationParams:
    kwargs: dict[str, Any] = {}
    for column, convert in (
        ("start_lead_s", int),
        ("stop_lag_s", int),
        ("control_on_kw", float),
        ("production_on_kw", float),
        ("low_load_ratio", float),
    ):
        text = v.get(column, "").strip()
        if text:
            kwargs[column] = convert(float(text)) if convert is int else convert(text)
    return AssociationParams(**kwargs)


def _column_of(message: str) -> str:
    for needle, column in (
        ("CT", "ct_ratio"),
        ("PT", "pt_ratio"),
        ("MN", "mn"),
        ("通道", "channel"),
        ("编码", "point_code"),
    ):
        if needle in message:
            return column
    return "name"


def import_sheets(
    repo: RegistryRepository, county_id: str, tables: Mapping[str, Table], *, dry_run: bool = False
) -> ImportReport:
    """Validate every sheet, then write facilities, terminals, points and lines in that order."""
    importer = _Importer(repo, county_id, tables)
    importer.run()
    if not importer.report.errors and not dry_run:
        with repo.batch():
            importer.write()
    return importer.report
