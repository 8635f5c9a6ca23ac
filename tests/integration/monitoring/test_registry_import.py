"""Registry import from real files: the Rugao 2022 list and installers' sheets (CSV and XLSX)."""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from monitoring.registry.import_list import import_enterprise_list
from monitoring.registry.import_sheets import import_sheets, read_csv_sheets, read_workbook
from monitoring.registry.models import County, EnterpriseCategory, FacilityKind, InstallStatus
from monitoring.registry.sheet_columns import SHEETS
from monitoring.registry.template import headers, write_templates
from monitoring.registry.terminal import verify_password
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "registry"
LIST = FIXTURES / "rugao_2022_enterprises.csv"
RUGAO = County("rugao", "如皋市", "南通市", "江苏省")
CSV_SHEETS = {sheet: FIXTURES / f"{sheet}.csv" for sheet in SHEETS}


@pytest.fixture
def store() -> Store:
    s = memory_store()
    assert import_enterprise_list(s.registry, LIST, county=RUGAO, year=2022).ok
    return s


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_import_rugao_list_creates_301_enterprises_in_15_towns_and_6_branches() -> None:
    # Given an empty registry, When the 2022 list is imported
    s = memory_store()
    report = import_enterprise_list(s.registry, LIST, county=RUGAO, year=2022)
    # Then every enterprise, town and branch is there with its category
    assert (report.created, report.towns, report.branches, report.errors) == (301, 15, 6, [])
    enterprises = s.registry.list_enterprises("rugao")
    assert len(enterprises) == 301 and [e.list_seq for e in enterprises] == list(range(1, 302))
    assert Counter(e.category for e in enterprises) == {
        EnterpriseCategory.AIR_CONTROL: 162,
        EnterpriseCategory.PERMIT: 139,
    }
    assert {b.name for b in s.registry.list_branches("rugao")} == {f"执法{n}局" for n in "一二三四五六"}
    assert "城北街道" in {t.name for t in s.registry.list_towns("rugao")}
    first = enterprises[0]
    assert first.name == "江苏泰慕士针纺科技股份有限公司" and s.registry.get_town(first.town_id).name == "城北街道"


def test_reimport_of_the_same_list_changes_nothing(store: Store) -> None:
    report = import_enterprise_list(store.registry, LIST, county=RUGAO, year=2022)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 301)
    assert all(e.version == 1 for e in store.registry.list_enterprises("rugao"))


def test_reimport_with_a_moved_enterprise_updates_it_and_keeps_its_progress(store: Store, tmp_path: Path) -> None:
    # Given an enterprise already surveyed
    first = store.registry.list_enterprises("rugao")[0]
    store.registry.put_enterprise(dataclasses.replace(first, install_status=InstallStatus.SURVEYED))
    # When a new list moves it to another branch
    rows = list(csv.reader(LIST.open(encoding="utf-8")))
    rows[1][4] = "执法二局"
    report = import_enterprise_list(store.registry, _write_csv(tmp_path / "l.csv", rows), county=RUGAO, year=2022)
    # Then it is updated, and its installation status survives
    assert (report.updated, report.unchanged) == (1, 300)
    moved = store.registry.get_enterprise(first.enterprise_id)
    assert moved.branch_id == "rugao-branch-2" and moved.install_status is InstallStatus.SURVEYED


def test_list_with_bad_rows_reports_row_and_column_and_writes_nothing(tmp_path: Path) -> None:
    rows = [
        ["序号", "镇（区、街道）", "企业名称", "安装类型", "所属分局"],
        ["1", "城北街道", "甲公司", "大气管控企业", "执法一局"],
        ["2", "城北街道", "", "大气管控企业", "执法一局"],
        ["x", "城北街道", "乙公司", "重点企业", "执法一局"],
        ["4", "城北街道", "甲公司", "排污许可证企业", "执法一局"],
    ]
    s = memory_store()
    report = import_enterprise_list(s.registry, _write_csv(tmp_path / "bad.csv", rows), county=RUGAO, year=2022)
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "企业名称"), (4, "序号"), (4, "安装类型"), (5, "企业名称")}
    assert "第3行「企业名称」列" in str(report.errors[0])
    assert s.registry.list_enterprises("rugao") == [] and s.registry.list_counties() == []


def test_list_saved_by_excel_as_gb18030_is_read(tmp_path: Path) -> None:
    rows = [
        ["序号", "镇（区、街道）", "企业名称", "安装类型", "所属分局"],
        ["1", "江安镇", "丙公司", "排污许可证企业", "执法六局"],
    ]
    s = memory_store()
    report = import_enterprise_list(
        s.registry, _write_csv(tmp_path / "gbk.csv", rows, "gb18030"), county=RUGAO, year=2022
    )
    assert report.created == 1 and s.registry.list_enterprises("rugao")[0].name == "丙公司"


def test_list_missing_a_column_is_refused_with_its_name(tmp_path: Path) -> None:
    from monitoring.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="所属分局"):
        import_enterprise_list(
            memory_store().registry,
            _write_csv(tmp_path / "c.csv", [["序号", "镇", "企业名称", "安装类型"]]),
            county=RUGAO,
            year=2022,
        )


def test_import_sheets_from_csv_creates_facilities_points_lines_terminals(store: Store) -> None:
    report = import_sheets(store.registry, "rugao", read_csv_sheets(CSV_SHEETS))
    assert report.ok and (report.created, report.updated) == (16, 2)
    points = store.registry.points_for_mn("010000A8900016F000169DC0")
    assert [(p.point_code, p.channel, p.ct_ratio) for p in points] == [
        ("320682TMS0001", "01", 40.0),
        ("320682TMS0002", "02", 40.0),
        ("320682TMS0003", "03", 20.0),
    ]
    assert points[2].role is FacilityKind.CONTROL
    line = store.registry.list_associations(points[0].enterprise_id)[0]
    assert len(line.production_facility_ids) == 2 and line.params.stop_lag_s == 900
    terminal = store.registry.get_terminal("010000A8900016F000169DC1")
    assert terminal.modbus_crc and verify_password(terminal, "654321")
    assert terminal.enterprise_id == points[0].enterprise_id


def test_reimport_of_the_same_sheets_changes_nothing(store: Store) -> None:
    import_sheets(store.registry, "rugao", read_csv_sheets(CSV_SHEETS))
    report = import_sheets(store.registry, "rugao", read_csv_sheets(CSV_SHEETS))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 18)


def test_enterprise_sheet_completes_the_archive_and_keeps_wechat_bindings(store: Store, tmp_path: Path) -> None:
    # Given the profile sheet imported, and one contact who has since bound WeChat
    import_sheets(store.registry, "rugao", read_csv_sheets({"企业": CSV_SHEETS["企业"]}))
    e = next(x for x in store.registry.list_enterprises("rugao") if x.name.startswith("江苏泰慕士"))
    assert (e.credit_code, e.performance_grade, [c.name for c in e.contacts]) == (
        "91320600XXXXXXXX0A",
        "B",
        ["张三", "李四"],
    )
    bound = dataclasses.replace(e.contacts[0], wechat_openid="o-abc")
    store.registry.put_enterprise(dataclasses.replace(e, contacts=(bound, e.contacts[1])))
    # When the sheet is imported again with 李四 removed
    rows = [r for r in csv.reader(CSV_SHEETS["企业"].open(encoding="utf-8")) if "李四" not in r]
    report = import_sheets(store.registry, "rugao", read_csv_sheets({"企业": _write_csv(tmp_path / "e.csv", rows)}))
    # Then 李四 is gone, 张三 keeps the binding, and the install status was not touched
    after = store.registry.get_enterprise(e.enterprise_id)
    assert report.updated == 1 and [(c.name, c.wechat_openid) for c in after.contacts] == [("张三", "o-abc")]
    assert after.install_status is e.install_status


def test_enterprise_sheet_with_conflicting_or_bad_values_is_refused(store: Store, tmp_path: Path) -> None:
    rows = list(csv.reader(CSV_SHEETS["企业"].open(encoding="utf-8")))
    rows[2][4] = "A"  # row 3 disagrees with row 2 on 绩效分级
    rows[3][6] = "老板"  # row 4: unknown role
    report = import_sheets(store.registry, "rugao", read_csv_sheets({"企业": _write_csv(tmp_path / "e.csv", rows)}))
    assert {(e.row, e.column) for e in report.errors} == {(3, "绩效分级"), (4, "联系人角色")}


def test_import_sheets_from_xlsx_matches_csv(store: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    # Given the same rows in one workbook (numbers as numbers, as Excel stores them)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, path in CSV_SHEETS.items():
        ws = wb.create_sheet(sheet)
        for row in csv.reader(path.open(encoding="utf-8")):
            ws.append([float(c) if c.replace(".", "", 1).isdigit() and not c.startswith("0") else c for c in row])
    wb.save(tmp_path / "sheets.xlsx")
    # When imported
    report = import_sheets(store.registry, "rugao", read_workbook(tmp_path / "sheets.xlsx"))
    # Then the result is the CSV one
    assert report.ok and (report.created, report.updated) == (16, 2)
    assert store.registry.get_point("320682TMS0004").ct_ratio == 200.0


def test_sheets_with_errors_report_each_and_write_nothing(store: Store, tmp_path: Path) -> None:
    points = list(csv.reader(CSV_SHEETS["点位"].open(encoding="utf-8")))
    points[2][5] = "01"  # row 3: same terminal channel as row 2
    points[3][6] = "-5"  # row 4: CT ratio
    points[5][0] = "不存在的公司"  # row 6: unknown enterprise
    points[6][3] = "MF0099"  # row 7: unknown facility
    paths = dict(CSV_SHEETS, 点位=_write_csv(tmp_path / "点位.csv", points))
    report = import_sheets(store.registry, "rugao", read_csv_sheets(paths))
    found = {(e.sheet, e.row, e.column) for e in report.errors}
    assert found == {("点位", 3, "通道"), ("点位", 4, "CT变比"), ("点位", 6, "企业名称"), ("点位", 7, "设施编码")}
    assert store.registry.list_facilities(store.registry.list_enterprises("rugao")[0].enterprise_id) == []
    assert store.registry.find_terminal("010000A8900016F000169DC0") is None


def test_new_terminal_without_password_is_an_error(store: Store, tmp_path: Path) -> None:
    rows = list(csv.reader(CSV_SHEETS["终端"].open(encoding="utf-8")))
    rows[1][2] = ""
    report = import_sheets(store.registry, "rugao", read_csv_sheets({"终端": _write_csv(tmp_path / "t.csv", rows)}))
    assert [(e.row, e.column) for e in report.errors] == [(2, "密码")]


def test_written_templates_match_the_importer_and_the_shipped_copies(tmp_path: Path) -> None:
    written = write_templates(tmp_path)
    shipped = Path(__file__).resolve().parents[3] / "data" / "registry_templates"
    for sheet in SHEETS:
        assert next(csv.reader((tmp_path / f"{sheet}.csv").open(encoding="utf-8-sig"))) == headers(sheet)
        assert next(csv.reader((shipped / f"{sheet}.csv").open(encoding="utf-8-sig"))) == headers(sheet)
    tables = read_workbook(written[0])
    assert set(tables) == set(SHEETS) and all(not t.rows for t in tables.values())
    assert read_workbook(shipped / "登记模板.xlsx").keys() == tables.keys()


def test_two_counties_with_the_same_names_stay_apart(tmp_path: Path) -> None:
    # Given one deployment importing lists of two counties that share a town and an enterprise name
    rows = [
        ["序号", "镇（区、街道）", "企业名称", "安装类型", "所属分局"],
        ["1", "城北街道", "同名公司", "大气管控企业", "执法一局"],
    ]
    path = _write_csv(tmp_path / "l.csv", rows)
    s = memory_store()
    import_enterprise_list(s.registry, path, county=RUGAO, year=2022)
    import_enterprise_list(s.registry, path, county=County("haian", "海安市", "南通市", "江苏省"), year=2023)
    # Then each county has its own towns, branches and enterprise
    assert [c.county_id for c in s.registry.list_counties()] == ["haian", "rugao"]
    rugao, haian = s.registry.list_enterprises("rugao"), s.registry.list_enterprises("haian")
    assert len(rugao) == len(haian) == 1 and rugao[0].enterprise_id != haian[0].enterprise_id
    assert rugao[0].town_id != haian[0].town_id and haian[0].list_year == 2023
    assert s.registry.list_enterprises("rugao", town_id=haian[0].town_id) == []
