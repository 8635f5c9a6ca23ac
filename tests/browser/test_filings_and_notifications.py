"""申报与报备 and 通知记录 in a real browser: a branch sees only its own enterprises' fault reports and stoppage
requests, opens one with its photo-less detail and decides it (a rejection needs a reason); the bureau's admin reads
the outbox (masked numbers, states, provider errors) and the people no channel reaches; a branch has no such menu."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from local.workers import DB_FILE
from monitoring.notify.models import Notification, Status, outbox_key
from monitoring.notify.ports import ChannelKind
from monitoring.storage.sqlite import open_store
from tests.browser.conftest import ConsoleErrors, Platform, shot, sign_in

BJ = "+08:00"


def _beijing(at: datetime) -> str:
    return (at + timedelta(hours=8)).replace(tzinfo=None).isoformat(timespec="seconds") + BJ


def _file(platform: Platform, enterprise: dict[str, Any], reason: str) -> tuple[str, str]:
    """A fault report and a stoppage request for the enterprise, filed through the API by the admin."""
    admin = platform.token("admin")
    status, detail = platform.api("GET", f"/enterprises/{enterprise['enterprise_id']}", token=admin)
    assert status == 200, detail
    point = detail["points"][0]["point_id"]
    now = datetime.now(UTC)
    status, fault = platform.api(
        "POST",
        "/fault-reports",
        token=admin,
        body={
            "enterprise_id": enterprise["enterprise_id"],
            "kind": "control_equipment",
            "point_ids": [point],
            "fault_start": _beijing(now - timedelta(minutes=40)),
            "description": f"{reason}：风机轴承损坏",
        },
    )
    assert status == 201, fault
    status, stoppage = platform.api(
        "POST",
        "/stoppage-requests",
        token=admin,
        body={
            "enterprise_id": enterprise["enterprise_id"],
            "kind": "control_stop",
            "point_ids": [point],
            "start": _beijing(now + timedelta(days=1)),
            "end": _beijing(now + timedelta(days=2)),
            "reason": f"{reason}：年度检修",
        },
    )
    assert status == 201, stoppage
    return fault["id"], stoppage["id"]


def _enterprises(platform: Platform) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo enterprise (in the demo branch) and one of another branch."""
    status, page = platform.api("GET", "/enterprises?limit=200", token=platform.token("admin"))
    assert status == 200, page
    mine = next(e for e in page["items"] if e["enterprise_id"] == platform.seeded.enterprise.enterprise_id)
    other = next(e for e in page["items"] if e["branch_id"] != mine["branch_id"])
    return mine, other


def test_a_branch_sees_its_own_filings_and_decides_a_stoppage(
    page: Page, platform: Platform, console: ConsoleErrors
) -> None:
    mine, other = _enterprises(platform)
    _file(platform, mine, "本分局")
    _file(platform, other, "外分局")
    sign_in(page, platform, "branch")
    page.get_by_role("menuitem", name="申报与报备").click()
    faults = page.locator(".faults-table")
    expect(faults.get_by_text(mine["name"]).first).to_be_visible()
    expect(faults.get_by_text("污染治理设施故障").first).to_be_visible()
    assert faults.get_by_text(other["name"]).count() == 0  # another branch's enterprise is never listed
    page.get_by_role("tab", name="停运报备").click()
    stoppages = page.locator(".stoppages-table")
    expect(stoppages.get_by_text(mine["name"]).first).to_be_visible()
    assert stoppages.get_by_text(other["name"]).count() == 0
    expect(stoppages.get_by_text("待审批").first).to_be_visible()
    stoppages.get_by_text(mine["name"]).first.click()
    drawer = page.get_by_role("dialog", name="停运报备详情")
    expect(drawer.get_by_text("本分局：年度检修")).to_be_visible()
    expect(drawer.get_by_text("5 个工作日，逾期未决定视为同意")).to_be_visible()
    drawer.get_by_role("button", name="不同意").click()
    expect(page.get_by_text("不同意时请填写理由")).to_be_visible()  # no reason: nothing is sent
    drawer.get_by_label("审批意见").fill("检修期间须另行采取临时治理措施")
    drawer.get_by_role("button", name="不同意").click()
    page.get_by_role("dialog", name="请确认").get_by_role("button", name="确定").click()
    expect(drawer.get_by_text("检修期间须另行采取临时治理措施")).to_be_visible()
    expect(drawer.locator(".el-tag").get_by_text("不同意", exact=True)).to_be_visible()
    expect(drawer.get_by_role("button", name="同意", exact=True)).to_have_count(0)  # decided: no more buttons
    shot(page, "filings-branch")
    # the menu follows the role: a branch has no 通知记录
    assert page.get_by_role("menuitem", name="通知记录").count() == 0


def _outbox_entries(platform: Platform) -> None:
    """Two messages as the sender leaves them: one delivered, one refused by the provider (another process's
    store on the platform's sqlite file, as the notify worker writes it)."""
    store = open_store(str(platform.data / DB_FILE))
    now = datetime.now(UTC)
    base = Notification(
        key=outbox_key("web:browser:1", "contact:web-1", ChannelKind.SMS),
        event_id="web:browser:1",
        event_kind="alarm_raised",
        kind=ChannelKind.SMS,
        recipient_id="contact:web-1",
        recipient_name="浏览器甲",
        audience="enterprise_contacts",
        address="13912345678",
        template="alarm_raised",
        params={},
        text="报警通知",
        created_at=now - timedelta(minutes=2),
        not_before=now + timedelta(days=30),  # never due: the running sender leaves them alone
        alarm_id=platform.seeded.fresh_alarm,
        enterprise_id=platform.seeded.enterprise.enterprise_id,
    )
    failed = dataclasses.replace(
        base,
        key=outbox_key("web:browser:2", "contact:web-2", ChannelKind.SMS),
        event_id="web:browser:2",
        recipient_id="contact:web-2",
        recipient_name="浏览器乙",
        address="13700000000",
        created_at=now - timedelta(minutes=1),
    )
    try:
        store.outbox.add([base, failed])
        sent = store.outbox.get(base.key)
        store.outbox.replace(
            dataclasses.replace(
                sent,
                status=Status.DELIVERED,
                provider="aliyun_sms",
                provider_id="BIZ-web-1",
                sent_at=now - timedelta(minutes=1),
                delivered_at=now,
            )  # fmt: skip
        )
        refused = store.outbox.get(failed.key)
        store.outbox.replace(
            dataclasses.replace(refused, status=Status.FAILED, provider="aliyun_sms", error="isv.MOBILE_NUMBER_ILLEGAL")
        )
    finally:
        store.close()


def test_the_admin_reads_the_outbox_and_the_unreachable(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    _outbox_entries(platform)
    sign_in(page, platform, "admin")
    page.get_by_role("menuitem", name="通知记录").click()
    table = page.locator(".outbox-table")
    expect(table.locator(".el-table__row").first).to_be_visible()
    shot(page, "notifications-admin")  # the outbox as it stands: the running platform decides messages too
    # The platform's own messages (queued: the harness configures no provider) may fill the first page: the
    # states filter keeps the two seeded ones, then one of them.
    status = page.locator(".el-form-item").filter(has=page.get_by_text("状态", exact=True))
    status.locator(".el-select__wrapper").click()
    page.get_by_role("option", name="已送达", exact=True).click()
    page.get_by_role("option", name="发送失败", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="查询").click()
    delivered = table.locator("tr", has_text="浏览器甲")
    expect(delivered).to_contain_text("139****5678")
    expect(delivered).to_contain_text("已送达")
    expect(delivered).to_contain_text("BIZ-web-1")
    refused = table.locator("tr", has_text="浏览器乙")
    expect(refused).to_contain_text("发送失败")
    expect(refused).to_contain_text("isv.MOBILE_NUMBER_ILLEGAL")
    assert "13912345678" not in page.content() and "13700000000" not in page.content()  # numbers only masked
    status.locator(".el-select__wrapper").click()
    page.get_by_role("option", name="已送达", exact=True).click()  # off again: only the refused one stays
    page.keyboard.press("Escape")
    page.get_by_role("button", name="查询").click()
    expect(table.locator("tr", has_text="浏览器甲")).to_have_count(0)
    expect(table.locator("tr", has_text="浏览器乙")).to_be_visible()
    page.get_by_role("tab", name="无法通知的人员").click()
    unreachable = page.locator(".unreachable-table")
    expect(
        unreachable.locator(".el-table__row").first.or_(unreachable.get_by_text("所有人员都可以收到通知"))
    ).to_be_visible()
