"""The campaign over HTTP: the installer's steps on the file's version (a stale one is 409), scope (another
enterprise is 404, progress counts only the caller's), hostile bodies, and the progress sheet out and back in."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from monitoring.accounts.models import Role
from monitoring.campaign.sheet import HEADERS, SHEET
from monitoring.registry.models import InstallStatus
from tests.integration.miniprogram_api.conftest import Api
from tests.integration.miniprogram_api.world_campaign import at_step

pytestmark = pytest.mark.integration
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SURVEY = {"facilities": ["混料机", "布袋除尘器"], "planned_points": ["混料机进线", "除尘风机"], "remarks": "东侧配电房"}


def _file(api: Api, role: Role, enterprise_id: str = "ent-in") -> tuple[int, dict]:  # type: ignore[type-arg]
    reply = api.client.get(f"/enterprises/{enterprise_id}/campaign", token=api.token(role))
    return reply.status, reply.json


def test_the_installer_surveys_and_installs_on_the_current_version_only(api: Api) -> None:
    at_step(api.store, "ent-in", InstallStatus.PENDING_SURVEY)
    status, before = _file(api, Role.INSTALLER)
    assert status == 200 and before["install_status"] == "pending_survey"
    assert before["deadlines"] == {"survey": "2022-09-30", "network": "2022-10-20", "filing": "2022-10-31"}
    token = api.token(Role.INSTALLER)
    path = "/enterprises/ent-in/campaign"
    reply = api.client.post(f"{path}/survey", token=token, json_body={**SURVEY, "version": before["version"]})
    assert reply.status == 200, reply
    assert (
        reply.json["install_status"] == "surveyed"
        and reply.json["survey"]["planned_points"] == SURVEY["planned_points"]
    )
    assert reply.json["survey"]["at"].endswith("+08:00") and reply.json["survey"]["by"]
    stale = api.client.post(f"{path}/installation", token=token, json_body={"version": before["version"]})
    assert stale.status == 409 and stale.json["code"] == "conflict" and "刷新" in stale.json["message"]
    done = api.client.post(f"{path}/installation", token=token, json_body={"version": reply.json["version"]})
    assert done.status == 200 and done.json["install_status"] == "installed"
    # surveyed after the 2022 deadline: recorded late when done; 已联网 waits for the planned points' data
    (late,) = done.json["late_steps"]
    assert late["step"] == "survey" and late["due"] == "2022-09-30" and late["days_late"] > 0
    network = done.json["network"]
    assert network["planned"] == 2 and not network["complete"] and network["text"]
    assert done.json["calendar_warning"] is None
    skipped = api.client.post(
        f"{path}/acceptance", token=api.token(Role.AIR), json_body={"version": done.json["version"]}
    )
    assert skipped.status == 409 and "试运行" in skipped.json["message"]
    # another enterprise does not exist for the installer; the enterprise reads its own file
    assert (
        api.client.post("/enterprises/ent-out/campaign/survey", token=token, json_body={**SURVEY, "version": 0}).status
        == 404
    )
    assert _file(api, Role.ENTERPRISE)[0] == 200 and _file(api, Role.ENTERPRISE, "ent-out")[0] == 404


def test_hostile_step_bodies_get_a_field_and_a_chinese_message(api: Api) -> None:
    at_step(api.store, "ent-in", InstallStatus.PENDING_SURVEY)
    version = _file(api, Role.ADMIN)[1]["version"]
    token = api.token(Role.ADMIN)
    cases = [
        ({**SURVEY, "facilities": [], "version": version}, "facilities"),
        ({**SURVEY, "planned_points": ["\x07铃"], "version": version}, "planned_points.0"),
        ({**SURVEY, "version": -1}, "version"),
        ({**SURVEY, "version": version, "at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "at"),
        ({**SURVEY, "version": version, "at": "2026-12-01T08:00:00"}, "at"),
        ({**SURVEY, "version": version, "photo_ids": ["ph-" + "0" * 32]}, "photo_ids.0"),
        ({**SURVEY, "version": version, "surveyor": "x"}, "surveyor"),
    ]
    for body, field in cases:
        reply = api.client.post("/enterprises/ent-in/campaign/survey", token=token, json_body=body)
        assert reply.status == 422, (body, reply)
        assert reply.json["field"] == field and any("\u4e00" <= c <= "\u9fff" for c in reply.json["message"]), reply
    assert _file(api, Role.ADMIN)[1]["install_status"] == "pending_survey"  # nothing was applied


def test_progress_counts_only_the_callers_enterprises(api: Api) -> None:
    county = api.client.get("/campaign/progress", token=api.token(Role.AIR)).json
    branch = api.client.get("/campaign/progress", token=api.token(Role.BRANCH)).json
    assert sum(t["total"] for t in county["towns"]) == 2
    assert [(t["key"], t["total"]) for t in branch["towns"]] == [("town-in", 1)]
    assert {o["enterprise_id"] for o in branch["overdue"]} <= {"ent-in"}
    assert county["campaign"]["deadlines"]["filing"] == "2022-10-31" and county["today"]
    overdue = [o for o in county["overdue"] if o["enterprise_id"] == "ent-out"]
    assert overdue and overdue[0]["unit"] == "日历日" and overdue[0]["days_overdue"] > 365


def _sheet(reply_body: bytes) -> list[tuple]:  # type: ignore[type-arg]
    return list(load_workbook(io.BytesIO(reply_body))[SHEET].iter_rows(values_only=True))


def test_the_progress_sheet_exports_within_scope_and_imports_all_or_nothing(api: Api) -> None:
    at_step(api.store, "ent-in", InstallStatus.PENDING_SURVEY)
    at_step(api.store, "ent-out", InstallStatus.PENDING_SURVEY)
    air = api.client.get("/campaign/progress.xlsx", token=api.token(Role.AIR))
    assert air.status == 200 and air.headers["content-type"] == XLSX
    rows = _sheet(air.body)
    assert rows[0] == HEADERS and sorted(r[2] for r in rows[1:]) == ["测试企业in", "测试企业out"]
    branch = _sheet(api.client.get("/campaign/progress.xlsx", token=api.token(Role.BRANCH)).body)
    assert [r[2] for r in branch[1:]] == ["测试企业in"]
    book = load_workbook(io.BytesIO(air.body))
    sheet = book[SHEET]
    column = {h: i + 1 for i, h in enumerate(HEADERS)}
    out_row = next(i for i in range(2, 4) if sheet.cell(i, column["企业名称"]).value == "测试企业out")
    in_row = 5 - out_row
    sheet.cell(out_row, column["豁免原因"]).value = "拟关闭"
    sheet.cell(out_row, column["豁免批准人"]).value = "王科长"
    sheet.cell(in_row, column["验收日期"]).value = "2026-11-01"  # ent-in is 待勘察: refused
    bad = io.BytesIO()
    book.save(bad)
    reply = api.client.post("/campaign/progress.xlsx", token=api.token(Role.AIR), body=bad.getvalue(),
                            headers={"Content-Type": XLSX})  # fmt: skip
    assert reply.status == 422 and reply.json["code"] == "sheet_invalid", reply
    assert f"第{in_row}行「验收日期」列" in reply.json["message"]
    assert api.store.registry.get_enterprise("ent-out").exemption is None  # nothing applied
    sheet.cell(in_row, column["验收日期"]).value = None
    good = io.BytesIO()
    book.save(good)
    forbidden = api.client.post("/campaign/progress.xlsx", token=api.token(Role.BRANCH), body=good.getvalue(),
                                headers={"Content-Type": XLSX})  # fmt: skip
    assert forbidden.status == 403
    reply = api.client.post("/campaign/progress.xlsx", token=api.token(Role.AIR), body=good.getvalue(),
                            headers={"Content-Type": XLSX})  # fmt: skip
    assert reply.status == 200 and reply.json["exempted"] == ["ent-out"], reply
    assert _file(api, Role.AIR, "ent-out")[1]["exemption"]["approved_by"] == "王科长"
    since = datetime.now(UTC) - timedelta(minutes=5)
    found, _ = api.store.audit_trail.query(since=since, until=datetime.now(UTC) + timedelta(minutes=1),
                                           action="campaign.exempt")  # fmt: skip
    assert [(r.enterprise_id, r.channel) for r in found] == [("ent-out", "web")]
    garbage = api.client.post("/campaign/progress.xlsx", token=api.token(Role.AIR), body=b"PK\x03\x04junk",
                              headers={"Content-Type": XLSX})  # fmt: skip
    assert garbage.status == 422 and "Excel" in garbage.json["message"]
    lifted = api.client.request("DELETE", "/enterprises/ent-out/campaign/exemption", token=api.token(Role.ADMIN))
    assert lifted.status == 200 and lifted.json["exemption"] is None
