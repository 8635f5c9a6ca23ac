"""安装进度 in a real browser as 大气科 (air): the demo county's campaign — a funnel per town against its deadlines,
the overdue list, one enterprise's steps in a drawer, and the progress sheet downloaded as XLSX."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleErrors, Platform, shot
from tests.browser.test_dashboard import sign_in


def test_air_follows_the_campaign_and_downloads_the_sheet(
    page: Page, platform: Platform, console: ConsoleErrors
) -> None:
    sign_in(page, platform, "air")
    page.get_by_role("menuitem", name="安装进度").click()
    expect(page).to_have_url(re.compile(r"/campaign$"))
    expect(page.get_by_text("勘察期限")).to_be_visible()
    funnels = page.locator("section.funnel")
    expect(funnels.first).to_be_visible()
    assert funnels.count() > 5  # one per town of the demo county
    expect(page.locator("section.funnel [data-step=surveyed][data-state=passed]").first).to_be_visible()
    overdue = page.locator(".el-card", has_text="逾期清单")
    rows = overdue.locator(".el-table__row")
    expect(rows.first).to_contain_text("逾期")
    expect(overdue).to_contain_text("个工作日")  # an accepted enterprise past its 5 working days
    shot(page, "campaign")

    rows.first.get_by_role("button").click()
    drawer = page.get_by_role("dialog")
    expect(drawer).to_contain_text("安装档案")
    expect(drawer.locator(".el-step")).to_have_count(6)
    expect(drawer).to_contain_text("档案版本")
    page.keyboard.press("Escape")

    page.get_by_role("tab", name="按执法分局").click()
    expect(page.locator(".el-table__row", has_text="执法").first).to_be_visible()

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="导出进度表").click()
    download = info.value
    assert download.suggested_filename.startswith("安装进度-") and download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as f:
        sheet = load_workbook(io.BytesIO(f.read()))["安装进度"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:6] == ("序号", "镇（区、街道）", "企业名称", "安装类别", "执法局", "安装状态")
    statuses = {v[5] for v in values[1:]}
    assert {"待勘察", "已勘察", "已安装", "豁免", "已备案"} <= statuses, statuses
    expect(page.get_by_role("button", name="导入进度表")).to_be_visible()  # air may import


def test_a_branch_sees_its_own_enterprises_and_cannot_import(
    page: Page, platform: Platform, console: ConsoleErrors
) -> None:
    sign_in(page, platform, "branch", start="campaign")
    expect(page.get_by_text("勘察期限")).to_be_visible()
    expect(page.get_by_role("button", name="导出进度表")).to_be_visible()
    expect(page.get_by_role("button", name="导入进度表")).to_have_count(0)
    status, body = platform.api("GET", "/campaign/progress", token=platform.token("branch"))
    assert status == 200
    county = platform.api("GET", "/campaign/progress", token=platform.token("air"))[1]
    mine = sum(t["total"] for t in body["towns"])
    assert 0 < mine < sum(t["total"] for t in county["towns"])
