"""企业档案, 报表 and 用户管理 in a real browser: the enterprise file with its charts drawn, a version conflict on an
edit explained, the month's report downloaded as XLSX with Chinese headers, an admin creating an account and its
invitation, and menus that follow the role."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ARTIFACTS, ConsoleErrors, Platform, shot
from tests.browser.test_dashboard import INKED_PIXELS_JS, TEXT_WIDTH_JS, sign_in

INSTALL_ORDER = ["pending_survey", "surveyed", "installed", "networked", "trial_run", "accepted", "filed"]
INSTALL_NAMES = dict(
    zip(INSTALL_ORDER, ["待勘察", "已勘察", "已安装", "已联网", "试运行", "已验收", "已备案"], strict=True)
)


def test_an_enterprise_file_with_its_charts(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    ent = platform.seeded.enterprise
    sign_in(page, platform, "air")
    page.goto(platform.url + "enterprises")
    page.get_by_placeholder("企业名称、信用代码或许可证编号").fill(ent.name)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=ent.name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{ent.enterprise_id}$"))
    expect(page.get_by_role("heading", name=ent.name)).to_be_visible()
    curves = page.locator("[data-test=line-curves] canvas")
    expect(curves.first).to_be_visible()
    assert curves.count() >= 2  # both seeded lines have a chart
    for card in ("line-curves", "energy-chart", "status-timeline"):
        expect(page.locator(f"[data-test={card}] canvas").first).to_be_visible()
    page.wait_for_timeout(300)  # ECharts draws on the next frame
    for card in ("line-curves", "energy-chart", "status-timeline"):
        assert page.evaluate(INKED_PIXELS_JS, f"[data-test={card}] canvas") > 1500, card
    assert page.evaluate(TEXT_WIDTH_JS) > 70, "Chinese glyphs missing: install fonts-noto-cjk"
    for card in ("energy-chart", "status-timeline"):  # below the fold: kept as pictures of their own
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(f"[data-test={card}]").screenshot(path=str(ARTIFACTS / f"enterprise-{card}.png"))
    page.get_by_role("tab", name="终端").click()
    expect(page.get_by_text("在线").or_(page.get_by_text("离线")).first).to_be_visible()
    shot(page, "enterprise-file")


def test_an_edit_after_someone_else_is_a_clear_conflict(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    console.allow(409)
    ent = platform.seeded.enterprise
    sign_in(page, platform, "admin", start=f"enterprises/{ent.enterprise_id}")
    page.get_by_role("button", name="修改档案").click()
    dialog = page.get_by_role("dialog", name="修改档案")
    dialog.get_by_label("行业").fill("化学原料制造（网页）")
    air = platform.token("air")
    _, current = platform.api("GET", f"/enterprises/{ent.enterprise_id}", token=air)
    change = {"version": current["version"], "industry": "同事先改"}
    at = INSTALL_ORDER.index(current["install_status"])
    if at + 1 < len(INSTALL_ORDER) and not current["exemption"]:  # the colleague also moves installation on a step
        change["install_status"] = INSTALL_ORDER[at + 1]
    status, body = platform.api("PATCH", f"/enterprises/{ent.enterprise_id}", token=air, body=change)
    assert status == 200, body
    back = INSTALL_ORDER[INSTALL_ORDER.index(body["install_status"]) - 1]
    dialog.get_by_role("button", name="保存").click()
    notice = page.get_by_role("dialog", name="档案已被他人修改")
    expect(notice).to_contain_text("已重新读取最新档案")
    notice.get_by_role("button", name="知道了").click()
    expect(page.get_by_text("同事先改")).to_be_visible()  # the file shows what the colleague saved
    page.get_by_role("button", name="修改档案").click()
    dialog.get_by_label("行业").fill("化学原料制造（网页）")
    _item(dialog, "安装进度").locator(".el-select__wrapper").click()
    page.get_by_role("option", name=INSTALL_NAMES[back], exact=True).click()
    expect(_item(dialog, "回退原因")).to_be_visible()  # going back asks why
    _item(dialog, "回退原因").locator("input").fill("终端拆除重装")
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_text("化学原料制造（网页）")).to_be_visible()
    expect(page.locator(".el-descriptions").get_by_text(INSTALL_NAMES[back], exact=True)).to_be_visible()


def test_the_month_report_downloads_as_xlsx_with_chinese_headers(
    page: Page, platform: Platform, console: ConsoleErrors
) -> None:
    sign_in(page, platform, "branch")
    page.goto(platform.url + "reports")
    table = page.locator(".month-table .el-table__row")
    expect(table.first).to_be_visible()
    assert table.count() == min(50, platform.seeded.branch_enterprises)  # the branch's enterprises only
    with page.expect_download() as info:
        page.get_by_role("button", name="导出 XLSX").click()
    download = info.value
    assert re.fullmatch(r"月度用电汇总-\d{4}-\d{2}\.xlsx", download.suggested_filename), download.suggested_filename
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("序号", "企业名称") and "治污设施用电（kWh）" in rows[0]
    assert len(rows) - 1 == platform.seeded.branch_enterprises
    shot(page, "reports")


def _item(dialog: Locator, label: str) -> Locator:
    return dialog.locator(f'.el-form-item:has(> .el-form-item__label:text-is("{label}"))')


def _choose(page: Page, item: Locator, option: str) -> None:
    """An Element Plus select: open it by its box, pick the option by its name."""
    item.locator(".el-select__wrapper").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_admin_creates_an_account_and_its_invitation(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    sign_in(page, platform, "admin")
    page.get_by_role("menuitem", name="用户管理").click()
    expect(page).to_have_url(re.compile(r"/accounts$"))
    page.get_by_role("button", name="新建账号").click()
    dialog = page.get_by_role("dialog", name="新建账号")
    dialog.get_by_label("用户名").fill("web_town_clerk")
    dialog.get_by_label("姓名").fill("网页新建镇干部")
    _choose(page, _item(dialog, "角色"), "镇（区）")
    _, summary = platform.api("GET", "/dashboard/summary", token=platform.token("admin"))
    town = summary["towns"][0]["name"]
    _choose(page, _item(dialog, "镇（区）"), town)
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_text("账号已创建")).to_be_visible()
    row = page.locator(".el-table__row", has_text="web_town_clerk")
    expect(row).to_contain_text("网页新建镇干部")
    expect(row).to_contain_text(town)  # the scope in words, not an id
    row.get_by_role("button", name="邀请码").click()
    page.get_by_role("dialog", name="生成邀请码").get_by_role("button", name="生成").click()
    code = page.get_by_test_id("invitation-code")
    expect(code).to_have_text(re.compile(r"^\S{4,}$"))
    shot(page, "invitation")
    page.get_by_role("button", name="我已记下").click()
    expect(code).to_have_count(0)  # shown once
    row.get_by_role("button", name="停用").click()
    page.get_by_role("dialog", name="停用账号").get_by_role("button", name="确定").click()
    expect(row).to_contain_text("已停用")
    expect(row.get_by_role("button", name="邀请码")).to_have_count(0)


def test_menus_follow_the_role(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    console.allow(403)
    sign_in(page, platform, "branch")
    menu = page.get_by_role("menubar")
    expect(menu.get_by_role("menuitem", name="企业档案")).to_have_count(1)
    expect(menu.get_by_role("menuitem", name="用户管理")).to_have_count(0)
    page.goto(platform.url + "accounts")
    expect(page.get_by_text("无权访问").first).to_be_visible()
    page.goto(platform.url + "enterprises")
    rows = page.locator(".el-table__row")
    expect(rows.first).to_be_visible()
    assert rows.count() == min(50, platform.seeded.branch_enterprises)
