"""双随机抽查 in a real browser: a branch sees its own draws with their seeds, opens last month's draw (one check
recorded 合规, the rest 逾期), reads the record, and redoes this month's draw with a reason; a viewer may read but
gets no 抽取 button."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from local.demo.random_checks import demo_seed
from tests.browser.conftest import ConsoleErrors, Platform, shot
from tests.browser.test_dashboard import sign_in


def _periods() -> tuple[str, str]:
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    before = today.replace(day=1) - timedelta(days=1)
    return f"{before.year}-{before.month:02d}", f"{today.year}-{today.month:02d}"


def test_a_branch_reads_its_draws_and_redoes_one(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    previous, current = _periods()
    branch_id = platform.seeded.enterprise.branch_id
    sign_in(page, platform, "branch")
    page.get_by_role("menuitem", name="双随机抽查").click()
    expect(page).to_have_url(re.compile(r"/random-checks$"))
    draws = page.locator(".el-card", has_text="抽查批次").locator(".el-table__row")
    expect(draws).to_have_count(2)  # its own branch's two months only
    last_month = draws.filter(has_text=previous)
    expect(last_month).to_contain_text(demo_seed(branch_id, previous))
    expect(last_month).to_contain_text("已检查 1")
    last_month.click()
    checks = page.locator(".el-card", has_text="抽查（第 1 次抽取）").locator(".el-table__row")
    expect(checks).to_have_count(3)
    expect(checks.filter(has_text="逾期")).to_have_count(2)
    checks.filter(has_text="已检查").click()
    record = page.locator(".el-card", has_text="检查记录")
    expect(record).to_contain_text("合规")
    expect(record).to_contain_text("用电工况监控运行状况：正常")
    shot(page, "random-checks")

    draws.filter(has_text=current).click()
    page.get_by_role("button", name="重新抽取").click()
    box = page.get_by_role("dialog", name="重新抽取")
    box.get_by_role("textbox").fill("企业名单调整")
    box.get_by_role("button", name="重新抽取").click()
    expect(page.get_by_text("已重新抽取")).to_be_visible()
    expect(page.get_by_text(f"{current} 抽查（第 2 次抽取）")).to_be_visible()
    expect(draws.filter(has_text="重新抽取：企业名单调整")).to_have_count(1)
    expect(draws.filter(has_text="已作废")).to_have_count(1)


def test_a_viewer_reads_but_cannot_draw(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    sign_in(page, platform, "viewer")
    page.get_by_role("menuitem", name="双随机抽查").click()
    expect(page.locator(".el-card", has_text="抽查批次").locator(".el-table__row").first).to_be_visible()
    expect(page.get_by_role("button", name="抽取", exact=True)).to_have_count(0)
