"""Fault reports, stoppage requests and emergency routes over a real loopback socket on sqlite: filing in scope,
late filing, acknowledgement, deemed approval after 5 working days, alerts, live compliance and its XLSX."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from monitoring.accounts.models import Role
from monitoring.emergency.compliance import HEADERS
from tests.integration.miniprogram_api.routes_alarms.conftest import Live

pytestmark = pytest.mark.integration


def _iso(live: Live, minutes: float) -> str:
    return (live.clock.now() + timedelta(minutes=minutes)).isoformat()


def test_fault_reports_filed_late_acknowledged_resolved_and_scoped(live: Live) -> None:
    body = {
        "enterprise_id": "ent-in",
        "kind": "control_equipment",
        "point_ids": ["ra-cp-in"],
        "fault_start": _iso(live, -180),
        "description": "风机电机烧毁",
    }
    filed = live.post(Role.ENTERPRISE, "/fault-reports", body)
    assert filed.status == 201 and filed.json["filed_late"] is True, filed
    assert filed.json["filed_at"].endswith("+08:00") and filed.json["kind_name"] == "污染治理设施故障"
    live.clock.advance(timedelta(minutes=1))
    on_time = live.post(Role.INSTALLER, "/fault-reports", {**body, "fault_start": _iso(live, -30)})
    assert on_time.status == 201 and on_time.json["filed_late"] is False
    assert live.post(Role.ENTERPRISE, "/fault-reports", {**body, "enterprise_id": "ent-out"}).status == 404
    wrong_point = live.post(Role.ENTERPRISE, "/fault-reports", {**body, "point_ids": ["ra-p-out"]})
    assert wrong_point.status == 422 and "不属于该企业" in wrong_point.json["message"]
    future = live.post(Role.ENTERPRISE, "/fault-reports", {**body, "fault_start": _iso(live, 60)})
    assert future.status == 422

    listed = live.get(Role.BRANCH, "/fault-reports", limit=2)
    assert [f["id"] for f in listed.json["items"]] == [on_time.json["id"], filed.json["id"]]
    rest = live.get(Role.BRANCH, "/fault-reports", limit=2, cursor=listed.json["next_cursor"])
    assert [f["id"] for f in rest.json["items"]] == ["fault-in"] and rest.json["next_cursor"] is None
    assert live.get(Role.TOWN, f"/fault-reports/{filed.json['id']}").status == 200
    assert live.get(Role.BRANCH, "/fault-reports/fault-out").status == 404

    ack = live.post(Role.BRANCH, f"/fault-reports/{filed.json['id']}/acknowledge", None)
    assert ack.status == 200 and ack.json["acknowledged_by"] == live.world.accounts[Role.BRANCH].id
    assert live.post(Role.BRANCH, f"/fault-reports/{filed.json['id']}/acknowledge", None).status == 409
    assert live.post(Role.ENTERPRISE, f"/fault-reports/{filed.json['id']}/acknowledge", None).status == 403
    later = live.post(Role.ENTERPRISE, f"/fault-reports/{filed.json['id']}/resolve", {"resolved_at": _iso(live, 5)})
    assert later.status == 422  # not in the future
    fixed = live.post(Role.ENTERPRISE, f"/fault-reports/{filed.json['id']}/resolve", {"resolved_at": _iso(live, -1)})
    assert fixed.status == 200 and fixed.json["resolved_at"] is not None
    still_open = live.get(Role.ADMIN, "/fault-reports", open_only="true", enterprise_id="ent-in")
    assert filed.json["id"] not in [f["id"] for f in still_open.json["items"]]


def test_stoppage_requests_deemed_approved_after_five_working_days(live: Live) -> None:
    body = {
        "enterprise_id": "ent-in",
        "kind": "control_stop",
        "point_ids": ["ra-cp-in"],
        "start": _iso(live, 60 * 24),
        "end": _iso(live, 60 * 48),
        "reason": "年度检修",
    }
    filed = live.post(Role.ENTERPRISE, "/stoppage-requests", body)
    assert filed.status == 201 and filed.json["decision"] == "pending", filed
    assert live.post(Role.ENTERPRISE, "/stoppage-requests", {**body, "end": None}).status == 422  # an end is due
    sid = filed.json["id"]
    deadline = filed.json["decision_deadline"]
    assert deadline.endswith("T00:00:00+08:00")  # the end of the fifth working day, Beijing time

    undecided = live.get(Role.BRANCH, "/stoppage-requests", decision="pending")
    assert sid in [s["id"] for s in undecided.json["items"]]
    decided = live.post(Role.BRANCH, "/stoppage-requests/stop-in/decision", {"approve": False, "note": "时段过长"})
    assert decided.status == 200 and decided.json["decision"] == "rejected"
    assert live.post(Role.BRANCH, "/stoppage-requests/stop-out/decision", {"approve": True}).status == 404

    live.clock.advance(timedelta(days=10))  # past any 5 working days, holidays included
    deemed = live.get(Role.ENTERPRISE, f"/stoppage-requests/{sid}").json
    assert deemed["decision"] == "deemed_approved" and deemed["decision_name"] == "逾期未决定，视为同意"
    too_late = live.post(Role.AIR, f"/stoppage-requests/{sid}/decision", {"approve": False})
    assert too_late.status == 409 and "结论" in too_late.json["message"]


def test_alerts_compliance_xlsx_and_measures(live: Live) -> None:
    alert = {
        "level": "orange",
        "start": _iso(live, -120),
        "end": _iso(live, 60 * 10),
        "title": "重污染天气橙色预警",
        "enterprise_ids": ["ent-in"],
    }
    published = live.post(Role.EMERGENCY, "/emergency/alerts", alert)
    assert published.status == 201 and published.json["active"] is True, published
    assert published.json["phase"] == "active"
    later = live.post(Role.EMERGENCY, "/emergency/alerts", {**alert, "start": _iso(live, 60), "alert_id": "YJ-LATER"})
    assert later.status == 201 and later.json["phase"] == "upcoming" and later.json["active"] is False, later
    aid = published.json["id"]
    assert live.post(Role.EMERGENCY, "/emergency/alerts", alert).status == 201  # the same again changes nothing
    clash = live.post(Role.EMERGENCY, "/emergency/alerts", {**alert, "alert_id": aid, "level": "red"})
    assert clash.status == 409
    assert live.post(Role.EMERGENCY, "/emergency/alerts", {**alert, "town_ids": ["atlantis"]}).status == 422
    assert live.post(Role.AIR, "/emergency/alerts", alert).status == 403
    edge = {**alert, "start": "9999-12-31T23:59:00+00:00", "end": "9999-12-31T23:59:59+00:00"}
    assert live.post(Role.EMERGENCY, "/emergency/alerts", edge).json["field"] == "start"
    active = live.get(Role.VIEWER, "/emergency/alerts", active="true").json["items"]
    assert aid in [a["id"] for a in active]

    put = live.client.request(
        "PUT",
        "/enterprises/ent-in/measures",
        token=live.token(Role.EMERGENCY),
        json_body={"orange": {"stop_points": ["ra-p-in"], "energy_share": 0.6, "forbidden_hours": [[14, 18]]}},
    )
    assert put.status == 200 and put.json["orange"]["stop_points"] == ["ra-p-in"], put
    assert live.get(Role.ENTERPRISE, "/enterprises/ent-in/measures").json["orange"]["energy_share"] == 0.6
    assert live.get(Role.BRANCH, "/enterprises/ent-out/measures").status == 404
    control = live.client.request(
        "PUT",
        "/enterprises/ent-in/measures",
        token=live.token(Role.ADMIN),
        json_body={"red": {"stop_points": ["ra-cp-in"]}},
    )
    assert control.status == 422 and "不是产污" in control.json["message"]

    result = live.get(Role.BRANCH, f"/emergency/alerts/{aid}/compliance").json
    (row,) = result["rows"]
    assert row["enterprise_id"] == "ent-in" and row["compliant"] is None  # no readings: no verdict, never a breach
    assert row["intervals"] >= 1 and result["evaluated_until"].endswith("+08:00")
    assert live.get(Role.ENTERPRISE, f"/emergency/alerts/{aid}/compliance").json["rows"][0]["enterprise_id"] == "ent-in"

    county = live.post(Role.ADMIN, "/emergency/alerts", {**alert, "enterprise_ids": None, "alert_id": "YJ-ALL"})
    assert county.status == 201, county
    first = live.get(Role.VIEWER, "/emergency/alerts/YJ-ALL/compliance", limit=1).json
    assert [r["enterprise_id"] for r in first["rows"]] == ["ent-in"] and first["next_cursor"]
    second = live.get(Role.VIEWER, "/emergency/alerts/YJ-ALL/compliance", limit=1, cursor=first["next_cursor"]).json
    assert [r["enterprise_id"] for r in second["rows"]] == ["ent-out"] and second["next_cursor"] is None
    assert [r["enterprise_id"] for r in live.get(Role.TOWN, "/emergency/alerts/YJ-ALL/compliance").json["rows"]] == [
        "ent-in"
    ]
    assert live.get(Role.VIEWER, "/emergency/alerts/YJ-ALL/compliance", limit=51).status == 422

    sheet = live.get(Role.EMERGENCY, f"/emergency/alerts/{aid}/compliance.xlsx")
    assert sheet.status == 200, sheet
    assert sheet.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = sheet.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"compliance-{aid}.xlsx" in disposition
    assert "应急管控执行情况" in unquote(disposition)
    book = load_workbook(io.BytesIO(sheet.body))
    ws = book["应急管控执行情况"]
    assert [c.value for c in ws[2]] == list(HEADERS) and ws["B3"].value == "测试企业in"

    ended = live.post(Role.EMERGENCY, f"/emergency/alerts/{aid}/end", {})
    assert ended.status == 200 and ended.json["active"] is False and ended.json["phase"] == "ended"
    assert live.post(Role.EMERGENCY, "/emergency/alerts/YJ-none/end", {}).status == 404
