"""运维 in a real browser: the branch sees terminals overdue for inspection and a fault past its 24 hours with the
countdown in red, opens the enterprise's records (the installer's inspection with its abnormal item and the reading
beside the platform's); the enterprise sees only its own terminals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from local.demo.maintenance import seed_maintenance
from local.workers import DB_FILE
from monitoring.maintenance.checklist import checklist
from monitoring.reports.models import FaultKind, FaultReport
from monitoring.storage.sqlite import open_store
from tests.browser.conftest import ConsoleErrors, Platform, shot
from tests.browser.test_dashboard import sign_in


def _seed(platform: Platform) -> tuple[str, str]:
    """The demo's ledger and a monitoring fault of the first enterprise filed 25 h ago; (its name, a terminal)."""
    first = platform.seeded.enterprise
    store = open_store(str(platform.data / DB_FILE))
    try:
        installer = store.accounts.find_by_username(platform.seeded.accounts["installer"].username)
        assert installer is not None
        now = datetime.now(UTC)
        seed_maintenance(store, now, installer.id)
        points = [p for p in store.registry.list_points(first.enterprise_id) if p.mn]
        # (other browser modules file their own faults for this enterprise: look for this one by id)
        if not any(f.id == "web-maint-fault" for f in store.reports.faults_for(first.enterprise_id)):
            store.reports.put_fault(FaultReport("web-maint-fault", first.enterprise_id, FaultKind.MONITORING,
                                                (points[0].point_id,), now - timedelta(hours=26),
                                                now - timedelta(hours=25), installer.id, "终端黑屏"))  # fmt: skip
        return first.name, str(points[0].mn)
    finally:
        store.close()


def test_the_branch_sees_what_is_overdue_and_the_records(
    page: Page, platform: Platform, console: ConsoleErrors
) -> None:
    name, mn = _seed(platform)
    body = {"checklist": {k: k != "seal" for k in checklist()}, "text": "封签破损，已报修"}
    status, entry = platform.api("POST", f"/terminals/{mn}/inspections", token=platform.token("installer"), body=body)
    assert status == 201, entry

    sign_in(page, platform, "branch")
    page.get_by_role("menuitem", name="运维").click()
    expect(page).to_have_url(re.compile(r"/maintenance$"))
    expect(page.locator("[data-test='tile-巡检超期']")).not_to_contain_text(re.compile(r"^\s*巡检超期\s*0\s*$"))
    table = page.locator("[data-test=inspections]")
    expect(table.locator(".el-table__row", has_text="已超期").first).to_be_visible()
    inspected = table.locator(".el-table__row", has_text=mn)
    expect(inspected).to_contain_text("正常")
    shot(page, "maintenance-inspections")

    page.get_by_role("tab", name="维修任务（24 小时）").click()
    fault = page.locator("[data-test=repairs] .el-table__row", has_text="监控设备故障申报")
    expect(fault).to_contain_text("已超时")
    expect(fault.locator(".countdown")).to_have_attribute("data-overdue", "yes")
    expect(fault.locator(".countdown")).to_contain_text("修复超时")
    shot(page, "maintenance-repairs")

    fault.get_by_text(name).click()
    drawer = page.get_by_role("dialog", name=f"{name} 运维记录")
    record = drawer.locator("[data-test=entry-inspection]", has_text="封签破损，已报修")
    expect(record).to_contain_text("异常项：封签")
    expect(record).to_contain_text(f"终端 {mn}")


def test_the_enterprise_sees_its_own_terminals_only(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    name, _ = _seed(platform)
    sign_in(page, platform, "enterprise", start="maintenance")
    rows = page.locator("[data-test=inspections] .el-table__row")
    expect(rows.first).to_be_visible()
    for text in rows.all_inner_texts():
        assert name in text, text
