"""`python -m monitoring campaign …` on a real sqlite file with the 如皋 2022 list: init, steps, exemption,
progress and overdue in Chinese, and the progress sheet out and back in (a bad sheet changes nothing)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from monitoring.storage.sqlite import open_store
from tests.integration.monitoring.cli_support import run_cli as _run

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "registry"
TMS = "江苏泰慕士针纺科技股份有限公司"
JUYE = "南通市巨业商品混凝土有限公司"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    assert _run("--db", path, "registry", "import", "--csv", str(FIXTURES / "rugao_2022_enterprises.csv"))[0] == 0
    code, text = _run("--db", path, "campaign", "init")
    assert code == 0 and "10-20" in text.replace("2022-", ""), text
    return path


def test_steps_exemption_and_the_reports_a_clerk_reads(db: str) -> None:
    code, text = _run("--db", db, "campaign", "survey", TMS, "--facility", "定型机", "--point", "定型机进线",
                      "--by", "acct-inst-1", "--at", "2022-09-28T10:00")  # fmt: skip
    assert (code, text.strip()) == (0, f"{TMS}：已勘察")
    code, text = _run("--db", db, "campaign", "accept", TMS, "--by", "王科长")
    assert code == 1 and "须在「试运行」时进行" in text  # one step at a time
    code, text = _run("--db", db, "campaign", "exempt", JUYE, "--reason", "拟关闭")
    assert code == 2 and "批准人" in text
    assert _run("--db", db, "campaign", "exempt", JUYE, "--reason", "拟关闭", "--approver", "王科长")[0] == 0
    code, text = _run("--db", db, "campaign", "status")
    assert code == 0 and "勘察 2022-09-30" in text and "豁免 1" in text
    code, text = _run("--db", db, "campaign", "progress", "--by", "branch")
    assert code == 0 and text.splitlines()[0].startswith("执法局\t企业\t豁免\t已勘察") and "执法一局" in text
    assert re.search(r"安装联网 \d", text) and "network" not in text  # overdue steps in words, not codes
    code, text = _run("--db", db, "campaign", "overdue")
    assert code == 0 and "按日历日" in text
    lines = text.splitlines()[1:]
    assert not any(JUYE in line for line in lines)  # exempt: never overdue
    assert any(TMS in line and "安装联网" in line for line in lines)
    assert not any(TMS in line and "\t勘察" in line for line in lines)  # surveyed in time
    code, text = _run("--db", db, "campaign", "show", TMS)
    assert code == 0 and "勘察：2022-09-28 acct-inst-1；设施 定型机" in text
    assert "联网条件：勘察拟装 1 个点位，已登记 0 个，缺 1 个" in text and "逾期完成" not in text
    code, _ = _run("--db", db, "campaign", "survey", "如皋市佳乐铸造厂", "--facility", "中频炉",
                   "--point", "中频炉进线", "--by", "acct-inst-1", "--at", "2022-10-02T10:00")  # fmt: skip
    assert code == 0
    code, text = _run("--db", db, "campaign", "show", "如皋市佳乐铸造厂")
    assert code == 0 and "逾期完成：勘察 逾期2天（截止 2022-09-30）" in text, text
    code, text = _run("--db", db, "campaign", "overdue")
    assert code == 0 and "如皋市佳乐铸造厂\t勘察\t截止 2022-09-30\t2022-10-02 完成，逾期 2 天" in text, text
    store = open_store(db)
    try:
        found, _ = store.audit_trail.query(
            since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime(2100, 1, 1, tzinfo=UTC)
        )
        actions = {r.action for r in found}
    finally:
        store.close()
    assert {"campaign.survey", "campaign.exempt"} <= actions


def test_export_and_a_refused_import_that_changes_nothing(db: str, tmp_path: Path) -> None:
    sheet_path = tmp_path / "进度.xlsx"
    code, text = _run("--db", db, "campaign", "export", str(sheet_path))
    assert code == 0, text
    book = load_workbook(io.BytesIO(sheet_path.read_bytes()))
    rows = list(book["安装进度"].iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "镇（区、街道）", "企业名称", "安装类别", "执法局")
    assert len(rows) > 100 and rows[1][2] == TMS and rows[1][5] == "待勘察"
    sheet = book["安装进度"]
    sheet.cell(2, 14).value = "拟关闭"  # 豁免原因 without 豁免批准人
    sheet.cell(3, 14).value = "长期停产"
    sheet.cell(3, 15).value = "王科长"  # valid on its own
    book.save(sheet_path)
    code, text = _run("--db", db, "campaign", "import", str(sheet_path), "--clerk", "王科长")
    assert code == 2 and "第2行「豁免批准人」列" in text and "未做任何修改" in text
    code, text = _run("--db", db, "campaign", "show", JUYE)
    assert "豁免" not in text
    sheet.cell(2, 15).value = "王科长"
    book.save(sheet_path)
    code, text = _run("--db", db, "campaign", "import", str(sheet_path), "--clerk", "王科长")
    assert code == 0 and "豁免 2" in text, text
