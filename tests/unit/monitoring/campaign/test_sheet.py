"""The progress sheet: export → the bureau fills 验收日期/备案日期/豁免 → import applies them; any bad row refuses the
whole sheet with row and column named, and nothing is applied."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from monitoring.campaign.service import load_file
from monitoring.campaign.sheet import HEADERS, SHEET, SheetImportError, export_xlsx, import_xlsx
from monitoring.errors import InvalidInputError
from monitoring.registry.models import InstallStatus
from tests.unit.monitoring.campaign.test_service import _accepted, _to_installed
from tests.unit.monitoring.campaign.world import CLERK, beijing, build

NOW = beijing(date(2022, 10, 20), 15)


def _edit(data: bytes, edits: dict[tuple[str, str], object]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book[SHEET]
    column = {h: i + 1 for i, h in enumerate(HEADERS)}
    for row in range(2, sheet.max_row + 1):
        name = sheet.cell(row, column["企业名称"]).value
        for (who, header), value in edits.items():
            if who == name:
                sheet.cell(row, column[header]).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(data: bytes) -> list[dict[str, object]]:
    sheet = load_workbook(io.BytesIO(data))[SHEET]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(HEADERS)
    return [dict(zip(HEADERS, r, strict=True)) for r in values[1:]]


def test_export_then_import_round_trip_applies_acceptance_filing_and_exemption() -> None:
    store, campaign = build(3)
    _accepted(store, campaign, "e1", date(2022, 10, 10))  # accepted, filing pending
    _accepted(store, campaign, "e2", date(2022, 10, 12))
    file2 = load_file(store, campaign, "e2")
    store.campaign.put_file(file2)  # a version bump: the import must not care
    exported = export_xlsx(store, campaign)
    rows = _rows(exported)
    assert [r["企业名称"] for r in rows] == ["企业1", "企业2", "企业3"]
    assert rows[0]["安装状态"] == "已验收" and rows[0]["验收日期"] == "2022-10-10" and rows[0]["执法局"] == "执法2局"
    assert str(rows[0]["试运行"]).startswith("通过") and rows[2]["安装状态"] == "待勘察"
    filled = _edit(exported, {("企业1", "备案日期"): "2022-10-18", ("企业3", "豁免原因"): "拟关闭",
                              ("企业3", "豁免批准人"): "王科长"})  # fmt: skip
    result = import_xlsx(store, campaign, filled, actor=CLERK, now=NOW, clerk="王科长")
    assert (result.filed, result.exempted, result.accepted, result.unchanged) == (["e1"], ["e3"], [], 1)
    f1 = load_file(store, campaign, "e1")
    assert f1.filing is not None and f1.filing.due == date(2022, 10, 17) and f1.filing.late  # 5 working days
    assert store.registry.get_enterprise("e1").install_status is InstallStatus.FILED
    assert store.registry.get_enterprise("e3").exemption is not None
    again = import_xlsx(store, campaign, filled, actor=CLERK, now=NOW, clerk="王科长")  # idempotent
    assert (again.filed, again.exempted, again.unchanged) == ([], [], 3)
    rows = _rows(export_xlsx(store, campaign))
    assert rows[0]["备案日期"] == "2022-10-18" and rows[0]["备案逾期"] == "是" and rows[2]["安装状态"] == "豁免"


def test_a_bad_row_refuses_the_sheet_naming_row_and_column_and_nothing_is_applied() -> None:
    store, campaign = build(3)
    _accepted(store, campaign, "e1", date(2022, 10, 10))
    exported = export_xlsx(store, campaign)
    bad = _edit(exported, {("企业1", "备案日期"): "2022-10-18",  # valid on its own
                           ("企业2", "验收日期"): "2022-10-19",  # e2 is still 待勘察
                           ("企业3", "备案日期"): "十月"})  # fmt: skip
    with pytest.raises(SheetImportError) as raised:
        import_xlsx(store, campaign, bad, actor=CLERK, now=NOW, clerk="王科长")
    assert [(e.row, e.column) for e in raised.value.errors] == [(3, "验收日期"), (4, "备案日期")]
    assert "未做任何修改" in str(raised.value) and "第3行「验收日期」列" in str(raised.value)
    assert load_file(store, campaign, "e1").filing is None  # the good row was not applied either
    assert store.registry.get_enterprise("e1").install_status is InstallStatus.ACCEPTED


def test_unknown_names_duplicates_future_dates_and_missing_approvers_are_each_reported() -> None:
    store, campaign = build(2)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(["企业名称", "验收日期", "豁免原因", "豁免批准人"])
    sheet.append(["不存在的企业", None, None, None])
    sheet.append(["企业1", "2099-01-01", None, None])
    sheet.append(["企业1", None, None, None])
    sheet.append(["企业2", None, "拟关闭", None])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(SheetImportError) as raised:
        import_xlsx(store, campaign, out.getvalue(), actor=CLERK, now=NOW, clerk="王科长")
    got = [(e.row, e.column) for e in raised.value.errors]
    assert got == [(2, "企业名称"), (3, "验收日期"), (3, "验收日期"), (4, "企业名称"), (5, "豁免批准人")]


def test_not_a_workbook_or_a_wrong_sheet_is_a_clear_error() -> None:
    store, campaign = build(1)
    with pytest.raises(InvalidInputError, match="无法读取 Excel"):
        import_xlsx(store, campaign, b"PK\x03\x04 not really", actor=CLERK, now=NOW, clerk="王科长")
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(InvalidInputError, match="缺少工作表"):
        import_xlsx(store, campaign, out.getvalue(), actor=CLERK, now=NOW, clerk="王科长")


def test_a_step_done_after_its_deadline_shows_in_the_sheet() -> None:
    store, campaign = build(2)
    _to_installed(store, campaign, "e1", date(2022, 10, 3))  # the survey deadline was 09-30
    _to_installed(store, campaign, "e2", date(2022, 9, 29))
    rows = _rows(export_xlsx(store, campaign))
    assert rows[0]["逾期完成"] == "勘察 逾期3天（截止 2022-09-30）"
    assert rows[1]["逾期完成"] in ("", None)
