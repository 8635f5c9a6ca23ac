"""应急管控 in a real browser: the emergency section publishes a county-wide alert, sees each enterprise's live
compliance, downloads the report (XLSX, Chinese headers) and ends the alert; a read-only role gets no buttons."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleErrors, Platform, shot
from tests.browser.test_dashboard import sign_in


def _beijing(at: datetime) -> str:
    return (at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def test_an_alert_published_watched_and_ended(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    sign_in(page, platform, "emergency")
    page.get_by_role("menuitem", name="应急管控").click()
    expect(page).to_have_url(re.compile(r"/emergency$"))
    page.get_by_role("button", name="发布预警").click()
    dialog = page.get_by_role("dialog", name="发布应急预警")
    dialog.get_by_text("橙色", exact=True).click()
    title = f"网页测试橙色预警{datetime.now(UTC):%H%M%S}"
    dialog.get_by_label("标题").fill(title)
    start = dialog.get_by_label("开始时间")  # an hour ago, typed as people do
    start.fill(_beijing(datetime.now(UTC) - timedelta(hours=1)))
    start.press("Enter")
    dialog.get_by_role("button", name="发布").click()
    page.get_by_role("dialog", name="发布预警").get_by_role("button", name="发布").click()
    expect(page.get_by_text("预警已发布")).to_be_visible()
    row = page.locator(".el-table__row", has_text=title)
    expect(row).to_contain_text("生效中")
    expect(row).to_contain_text("橙色")
    expect(row).to_contain_text("全县")
    compliance = page.locator(".el-card", has_text="措施落实情况")
    expect(compliance).to_contain_text(title)
    expect(compliance.locator(".el-table__row").first).to_be_visible()  # the county's enterprises, paged
    shot(page, "emergency")

    with page.expect_download(timeout=120_000) as info:
        compliance.get_by_role("button", name="下载报表（XLSX）").click()
    download = info.value
    assert download.suggested_filename.startswith("应急管控执行情况-") and download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    assert sheet is not None
    header = " ".join(str(v) for row_ in sheet.iter_rows(max_row=5, values_only=True) for v in row_ if v)
    assert re.search(r"企业", header), header

    row.get_by_role("button", name="解除").click()
    page.get_by_role("dialog", name="解除预警").get_by_role("button", name="解除").click()
    expect(page.get_by_text("预警已解除")).to_be_visible()
    expect(row).to_contain_text("已结束")
    expect(row.get_by_role("button", name="解除")).to_have_count(0)


def test_a_viewer_sees_alerts_but_cannot_publish(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    sign_in(page, platform, "viewer", start="emergency")
    expect(page.get_by_text("应急预警", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="发布预警")).to_have_count(0)
    expect(page.get_by_role("button", name="解除")).to_have_count(0)


def test_the_emergency_section_sets_an_enterprises_measures(
    page: Page, platform: Platform, console: ConsoleErrors
) -> None:
    ent = platform.seeded.enterprise
    sign_in(page, platform, "emergency", start=f"enterprises/{ent.enterprise_id}")
    page.get_by_role("tab", name="应急措施").click()
    panel = page.locator("[data-test=measures]")
    panel.get_by_role("button", name="编辑措施").click()
    dialog = page.get_by_role("dialog", name="编辑应急措施")
    dialog.get_by_text("黄色预警").click()
    dialog.get_by_label("黄色用电比例").fill("70")
    dialog.get_by_label("黄色错峰时段").fill("08-12")
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_text("应急措施已保存")).to_be_visible()
    yellow = panel.locator(".el-table__row", has_text="黄色")
    expect(yellow).to_contain_text("不超过基线的 70%")
    expect(yellow).to_contain_text("08-12")
    status, stored = platform.api("GET", f"/enterprises/{ent.enterprise_id}/measures", token=platform.token("viewer"))
    assert (
        status == 200 and stored["yellow"]["energy_share"] == 0.7 and stored["yellow"]["forbidden_hours"] == [[8, 12]]
    )
