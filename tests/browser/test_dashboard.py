"""The dashboard in a real browser on the real platform: each role sees its scope, an alarm is worked from pending
to closed, the chart draws with Chinese fonts, a version conflict is explained, an expired session comes back."""

from __future__ import annotations

import io
import json
import re
import time
from typing import Any

from PIL import Image
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import ARTIFACTS, INKED_PIXELS_JS, TEXT_WIDTH_JS, ConsoleErrors, Platform, shot, sign_in


def test_the_county_at_a_glance(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    sign_in(page, platform, "admin")
    expect(page).to_have_url(re.compile(r"/overview$"))
    expect(page.locator("[data-test=stat-enterprises] .stat-main")).to_contain_text(str(platform.seeded.enterprises))
    expect(page.get_by_text(re.compile(r"共标注 \d+ 家"))).to_be_visible()
    placed = int(re.search(r"共标注 (\d+) 家", page.get_by_text(re.compile(r"共标注")).inner_text()).group(1))  # type: ignore[union-attr]
    assert placed > platform.seeded.enterprises * 0.9  # nearly all have a terminal with GPS
    page.wait_for_timeout(300)  # ECharts draws on the next frame
    assert page.evaluate(INKED_PIXELS_JS, ".overview .el-col-14 canvas") > 2000
    assert page.evaluate(TEXT_WIDTH_JS) > 70, "Chinese glyphs missing: install fonts-noto-cjk"
    expect(page.get_by_role("cell", name="城北街道").first).to_be_visible()  # the per-town table
    shot(page, "overview")


def test_a_branch_sees_its_own_alarms_first_the_overdue(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    sign_in(page, platform, "branch")
    expect(page.locator("[data-test=stat-enterprises] .stat-main")).to_contain_text(
        str(platform.seeded.branch_enterprises)
    )
    began = time.perf_counter()
    page.goto(platform.url + "alarms")
    first_row = page.locator(".alarms-table .el-table__row").first
    expect(first_row).to_be_visible()
    warm_ms = (time.perf_counter() - began) * 1000
    cold_ms = _cold_alarm_desk(page, platform)
    ARTIFACTS.mkdir(exist_ok=True)
    figures = {"warm_first_row_ms": round(warm_ms), "cold_first_row_ms": round(cold_ms)}
    (ARTIFACTS / "alarm_desk_paint.json").write_text(json.dumps(figures), encoding="utf-8")  # reported, not timed
    rows = page.locator(".alarms-table .el-table__row")
    names = rows.locator(".alarm-link").all_inner_texts()
    own = platform.seeded.enterprise.name
    assert names.count(own) == 2 and set(names) == {own}, names  # the other branch's alarm is not there
    expect(rows.first.locator(".countdown")).to_have_class(re.compile("overdue"))  # most overdue on top
    expect(rows.first.locator(".countdown")).to_contain_text("响应超时")
    expect(rows.nth(1).locator(".countdown")).to_contain_text("响应剩余")
    shot(page, "alarm-desk")


def _cold_alarm_desk(page: Page, platform: Platform) -> float:
    """The alarm desk's first rows in a fresh browser context (empty cache), signed in: milliseconds."""
    session = page.evaluate("() => localStorage.getItem('gongkuang.session')")
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        context.add_init_script(f"localStorage.setItem('gongkuang.session', {json.dumps(session)})")
        cold = context.new_page()
        began = time.perf_counter()
        cold.goto(platform.url + "alarms")
        expect(cold.locator(".alarms-table .el-table__row").first).to_be_visible()
        return (time.perf_counter() - began) * 1000
    finally:
        context.close()


def test_an_enterprise_sees_only_itself(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    console.allow(404)
    sign_in(page, platform, "enterprise", start="alarms")
    expect(page).to_have_url(re.compile(r"/alarms$"))  # back where the visit started
    expect(page.locator(".alarms-table .el-table__row").first).to_be_visible()
    names = set(page.locator(".alarms-table .alarm-link").all_inner_texts())
    assert names == {platform.seeded.enterprise.name}
    expect(page.get_by_role("menuitem", name="总览")).to_have_count(1)
    page.goto(platform.url + f"alarms/{platform.seeded.outside_alarm}")
    expect(page.get_by_text("报警不存在，或不在您的管辖范围内")).to_be_visible()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(out, format="PNG")
    return out.getvalue()


def _step(page: Page, button: str, fill: dict[str, str] | None = None, photo: bool = False) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    dialog = page.get_by_role("dialog", name=button)
    expect(dialog).to_be_visible()
    for name, text in (fill or {}).items():
        dialog.locator(f"textarea[name={name}]").fill(text)
    if photo:
        upload: FilePayload = {"name": "site.png", "mimeType": "image/png", "buffer": _png()}
        dialog.get_by_label("上传照片").set_input_files(files=[upload])
        expect(dialog.get_by_text("已上传 1 张")).to_be_visible()
    dialog.get_by_role("button", name="提交").click()
    page.get_by_role("dialog", name="请确认").get_by_role("button", name="确定").click()
    expect(page.get_by_text(f"已{button}").first).to_be_visible()


def test_an_alarm_worked_from_pending_to_closed(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    alarm_id = platform.seeded.fresh_alarm
    enterprise = platform.token("enterprise")
    status, alarm = platform.api("GET", f"/alarms/{alarm_id}", token=enterprise)
    assert status == 200 and alarm["state"] == "pending"
    answer = {"version": alarm["version"], "cause": "equipment_fault", "text": "风机皮带断裂，已更换"}
    status, body = platform.api("POST", f"/alarms/{alarm_id}/respond", token=enterprise, body=answer)
    assert status == 200, body

    sign_in(page, platform, "branch", start=f"alarms/{alarm_id}")
    state = page.locator("[data-test=alarm-state]")
    expect(state).to_have_text("企业已响应")
    expect(page.get_by_text("风机皮带断裂，已更换")).to_be_visible()
    expect(page.get_by_text("响应剩余").or_(page.get_by_text("响应超时"))).to_have_count(0)  # answered: no clock
    page.wait_for_timeout(300)  # ECharts draws on the next frame
    assert page.evaluate(INKED_PIXELS_JS, ".echart canvas") > 2000  # the power chart is drawn
    assert page.evaluate(TEXT_WIDTH_JS) > 70, "Chinese glyphs missing: install fonts-noto-cjk"
    _step(page, "派发")
    expect(state).to_have_text("已派发执法分局")
    expect(page.get_by_text("核查剩余")).to_be_visible()
    _step(page, "录入核查结果", {"result": "现场核实：风机已恢复运行"}, photo=True)
    expect(state).to_have_text("已核查")
    expect(page.locator(".photos img")).to_have_count(1)
    _step(page, "办结", {"note": "整改到位"})
    expect(state).to_have_text("已办结")
    expect(page.locator(".el-timeline-item")).to_have_count(4)  # responded, dispatched, verified, closed
    shot(page, "alarm-detail")


def test_a_version_conflict_is_explained(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    console.allow(409)
    alarm_id = platform.seeded.overdue_alarm
    sign_in(page, platform, "branch", start=f"alarms/{alarm_id}")
    expect(page.locator("[data-test=alarm-state]")).to_have_text("待响应")
    admin = platform.token("admin")
    _, alarm = platform.api("GET", f"/alarms/{alarm_id}", token=admin)
    status, body = platform.api("POST", f"/alarms/{alarm_id}/dispatch", token=admin, body={"version": alarm["version"]})
    assert status == 200, body  # a colleague dispatched it meanwhile
    page.get_by_role("button", name="派发", exact=True).click()
    page.get_by_role("dialog", name="派发").get_by_role("button", name="提交").click()
    page.get_by_role("dialog", name="请确认").get_by_role("button", name="确定").click()
    notice = page.get_by_role("dialog", name="数据已更新")
    expect(notice).to_contain_text("刚被他人处理")
    notice.get_by_role("button", name="知道了").click()
    expect(page.locator("[data-test=alarm-state]")).to_have_text("已派发执法分局")


def test_an_expired_session_returns_through_login(page: Page, platform: Platform, console: ConsoleErrors) -> None:
    console.allow(401)
    sign_in(page, platform, "viewer")
    page.evaluate("""() => localStorage.setItem('gongkuang.session',
        JSON.stringify({access: 'expired.token.value', refresh: 'revoked-refresh-token'}))""")
    page.goto(platform.url + "alarms?overdue=any")
    page.wait_for_url(re.compile(r"/login\?redirect="))
    account: Any = platform.seeded.accounts["viewer"]
    page.get_by_label("用户名或手机号").fill(account.username)
    page.get_by_label("密码").fill(account.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/alarms\?overdue=any$"))
    expect(page.get_by_role("combobox", name="超时")).to_be_visible()
    expect(page.locator(".el-select__selected-item", has_text="任一时限超时")).to_be_visible()  # the filter kept


def test_a_town_sees_its_own_enterprises_and_alarms_only(
    page: Page, platform: Platform, console: ConsoleErrors
) -> None:
    ent = platform.seeded.enterprise
    _, county = platform.api("GET", "/dashboard/summary", token=platform.token("admin"))
    town = next(t for t in county["towns"] if t["id"] == ent.town_id)
    assert 0 < town["counts"]["enterprises"] < county["total"]["enterprises"]
    _, outside = platform.api("GET", f"/alarms/{platform.seeded.outside_alarm}", token=platform.token("admin"))
    sign_in(page, platform, "town")
    expect(page.locator("[data-test=stat-enterprises] .stat-main")).to_contain_text(str(town["counts"]["enterprises"]))
    page.goto(platform.url + "alarms")
    expect(page.locator(".alarms-table .el-table__row").first).to_be_visible()
    names = set(page.locator(".alarms-table .alarm-link").all_inner_texts())
    assert ent.name in names and outside["enterprise_name"] not in names, names
    assert platform.api("GET", f"/alarms/{platform.seeded.outside_alarm}", token=platform.token("town"))[0] == 404
