"""`python -m monitoring reports monthly` on a real sqlite database: both files written for the county, a town
by name, a branch by id; bad month, unknown town and a future month are one-line errors with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from monitoring.storage.sqlite import open_store
from tests.integration.monitoring.cli_support import run_cli
from tests.unit.monitoring.reports.monthly.world import november

pytestmark = pytest.mark.integration
NOW = "2026-11-28T14:00:00+08:00"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "g.db"
    store = open_store(path)
    november(store=store)
    store.close()
    return str(path)


def test_county_report_writes_xlsx_and_pdf(db: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, text = run_cli("--db", db, "reports", "monthly", "--month", "2026-11", "--out", str(out), "--now", NOW)
    assert code == 0, text
    assert "如皋市工况用电监控月度报告（2026年11月）：企业 3 家，报警 4 起" in text
    xlsx, pdf = out / "monthly-county-2026-11.xlsx", out / "monthly-county-2026-11.pdf"
    assert load_workbook(xlsx)["报警统计"]["C2"].value == 2
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_town_by_name_and_branch_by_id(db: str, tmp_path: Path) -> None:
    args = ("--db", db, "reports", "monthly", "--month", "2026-11", "--out", str(tmp_path), "--now", NOW)
    code, text = run_cli(*args, "--town", "江安镇", "--format", "xlsx")
    assert code == 0 and "江安镇工况用电监控月度报告" in text and "报警 2 起" in text
    assert (tmp_path / "monthly-town-rugao-jiangan-2026-11.xlsx").exists()
    assert not (tmp_path / "monthly-town-rugao-jiangan-2026-11.pdf").exists()
    code, text = run_cli(*args, "--branch", "rugao-b1", "--format", "pdf")
    assert code == 0 and (tmp_path / "monthly-branch-rugao-b1-2026-11.pdf").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--month", "2026-13"), "月份格式应为 YYYY-MM"),
        (("--month", "2026-12"), "不能统计未来的月份"),
        (("--month", "2026-11", "--town", "火星镇"), "未找到镇（街道） '火星镇'（可选：城北街道、江安镇）"),
        (("--month", "2026-11", "--now", "2026-11-28T14:00"), "缺少时区"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    db: str, tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "out"
    args = ["--db", db, "reports", "monthly", "--out", str(out), *extra]
    if "--now" not in extra:
        args += ["--now", NOW]
    code, text = run_cli(*args)
    assert code == 2 and message in text and len(text.strip().splitlines()) == 1
    assert not out.exists()


def test_without_out_the_files_go_to_the_current_directory(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    code, text = run_cli("--db", db, "reports", "monthly", "--month", "2026-11", "--now", NOW)
    assert code == 0, text
    assert sorted(p.name for p in here.iterdir()) == ["monthly-county-2026-11.pdf", "monthly-county-2026-11.xlsx"]
