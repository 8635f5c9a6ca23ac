"""The service provider's duties over HTTP: an installer inspects and repairs its assigned terminals only, the
enterprise reads its own, the branch and 大气科 see what is overdue; bad input gets a Chinese message and a field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.accounts.models import Role
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.maintenance.checklist import checklist
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal, hash_password
from tests.integration.miniprogram_api.conftest import Api

pytestmark = pytest.mark.integration
ALL_OK = {k: True for k in checklist()}


def _terminal(api: Api, mn: str, enterprise_id: str = "ent-in") -> str:
    reg = api.store.registry
    reg.put_terminal(Terminal(mn=mn, county_id="rugao", password_hash=hash_password("123456", n=2**4),
                              enterprise_id=enterprise_id))  # fmt: skip
    point_id = f"pt-{mn.lower()}"
    reg.put_point(MonitoringPoint(point_id, enterprise_id, f"fac-{enterprise_id[4:]}", f"CODE-{mn}", "巡检点位",
                                  FacilityKind.PRODUCTION, mn=mn, channel="01"))  # fmt: skip
    return point_id


def _offline(api: Api, alarm_id: str, enterprise_id: str, mn: str, hours_ago: float) -> str:
    created = datetime.now(UTC) - timedelta(hours=hours_ago)
    alarm = Alarm(alarm_id, "terminal_offline", f"terminal:{mn}", enterprise_id, "medium", AlarmState.PENDING,
                  (Episode(created - timedelta(minutes=10), None, {}, {}),), created, created)  # fmt: skip
    api.store.alarms.put(alarm, expected_version=None)
    return f"alarm:{alarm_id}"


def test_an_installer_inspects_its_terminals_and_the_readings_stand_beside_the_platforms(api: Api) -> None:
    point_id = _terminal(api, "MNMD01")
    _terminal(api, "MNMD02", "ent-out")
    now = datetime.now(UTC)
    api.store.readings.put_reading(Reading(point_id, now - timedelta(minutes=1), ReadingKind.REALTIME, {"p": 35.0}))
    installer = api.token(Role.INSTALLER)
    body = {"checklist": ALL_OK | {"seal": False}, "readings": [{"point_id": point_id, "code": "p", "value": 34.0}],
            "text": "封签缺失"}  # fmt: skip
    reply = api.client.post("/terminals/MNMD01/inspections", token=installer, json_body=body)
    assert reply.status == 201, reply
    assert reply.json["checklist"]["seal"] is False and reply.json["kind"] == "inspection"
    assert reply.json["readings"] == [{"point_id": point_id, "code": "p", "seen": 34.0, "platform": 35.0,
                                       "platform_at": reply.json["readings"][0]["platform_at"]}]  # fmt: skip
    assert reply.json["readings"][0]["platform_at"].endswith("+08:00")
    # another enterprise's terminal does not exist for this installer; the enterprise and the branch may not record
    assert api.client.post("/terminals/MNMD02/inspections", token=installer, json_body=body).status == 404
    for role in (Role.ENTERPRISE, Role.BRANCH):
        assert api.client.post("/terminals/MNMD01/inspections", token=api.token(role), json_body=body).status == 403
    missing = api.client.post("/terminals/MNMD01/inspections", token=installer,
                              json_body={"checklist": {"seal": True}})  # fmt: skip
    assert (missing.status, missing.json["field"], missing.json["code"]) == (422, "checklist", "invalid_input")
    assert "巡检须逐项检查" in missing.json["message"]
    wrong = api.client.post("/terminals/MNMD01/inspections", token=installer, json_body=body | {
        "readings": [{"point_id": "pt-mnmd02", "code": "p", "value": 1.0}]})  # fmt: skip
    assert (wrong.status, wrong.json["field"]) == (422, "readings")
    # the terminal is now in time; the enterprise sees its own terminals only, the county roles all of them
    seen = api.client.get("/maintenance/inspections", token=api.token(Role.ENTERPRISE)).json["items"]
    assert {i["mn"]: i["state"] for i in seen}["MNMD01"] == "ok"
    assert all(i["enterprise_id"] == "ent-in" for i in seen)
    everything = api.client.get("/maintenance/inspections", token=api.token(Role.AIR)).json["items"]
    assert "MNMD02" in {i["mn"] for i in everything}
    bad = api.client.get("/maintenance/inspections", token=api.token(Role.AIR), query={"state": "late"})
    assert (bad.status, bad.json["field"]) == (422, "state")


def test_a_repair_meets_the_24_hour_obligation_and_the_countdown_shows(api: Api) -> None:
    _terminal(api, "MNMD03")
    _terminal(api, "MNMD04", "ent-out")
    late = _offline(api, "al-md-late", "ent-in", "MNMD03", 25)
    fresh = _offline(api, "al-md-fresh", "ent-out", "MNMD04", 1)
    branch = api.client.get("/maintenance/repairs", token=api.token(Role.BRANCH), query={"state": "overdue"})
    (item,) = [i for i in branch.json["items"] if i["obligation_id"] == late]
    assert item["seconds_left"] < -3000 and item["state_name"] == "已超时" and item["deadline"].endswith("+08:00")
    assert fresh not in {i["obligation_id"] for i in branch.json["items"]}  # another branch's enterprise
    air = api.client.get("/maintenance/repairs", token=api.token(Role.AIR)).json
    (other,) = [i for i in air["items"] if i["obligation_id"] == fresh]
    assert 0 < other["seconds_left"] <= 23 * 3600 and air["counts"]["overdue"] >= 1

    installer = api.token(Role.INSTALLER)
    assert api.client.post(f"/maintenance/repairs/{fresh}/repair", token=installer,
                           json_body={"text": "修"}).status == 404  # fmt: skip
    empty = api.client.post(f"/maintenance/repairs/{late}/repair", token=installer, json_body={"text": ""})
    assert (empty.status, empty.json["field"]) == (422, "text")
    done = api.client.post(f"/maintenance/repairs/{late}/repair", token=installer,
                           json_body={"text": "更换电源适配器", "parts": ["电源适配器"]})  # fmt: skip
    assert done.status == 201, done
    assert (done.json["obligation"], done.json["parts"], done.json["mn"]) == (late, ["电源适配器"], "MNMD03")
    assert done.json["back_online"] is False  # no frame since: the platform does not take the installer's word
    again = api.client.post(f"/maintenance/repairs/{late}/repair", token=installer, json_body={"text": "再修"})
    assert (again.status, again.json["code"]) == (409, "already_repaired")
    states = api.client.get("/maintenance/repairs", token=api.token(Role.ENTERPRISE)).json["items"]
    assert {i["obligation_id"]: i["state"] for i in states}[late] == "done_late"
    assert api.client.post("/maintenance/repairs/alarm:nope/repair", token=installer,
                           json_body={"text": "x"}).status == 404  # fmt: skip


def test_the_provider_is_set_by_the_bureau_with_installer_accounts_only(api: Api) -> None:
    installer = api.world.accounts[Role.INSTALLER]
    body = {"name": "如皋某运维公司", "account_ids": [installer.id], "phone": "0513-87654321"}
    assert api.client.request("PUT", "/enterprises/ent-in/service-provider", token=api.token(Role.BRANCH),
                          json_body=body).status == 403  # fmt: skip
    reply = api.client.request("PUT", "/enterprises/ent-in/service-provider", token=api.token(Role.AIR), json_body=body)
    assert reply.status == 200 and reply.json["account_ids"] == [installer.id]
    got = api.client.get("/enterprises/ent-in/service-provider", token=api.token(Role.ENTERPRISE))
    assert got.json["name"] == "如皋某运维公司"
    branch_account = api.world.accounts[Role.BRANCH]
    wrong = api.client.request("PUT", "/enterprises/ent-in/service-provider", token=api.token(Role.AIR),
                           json_body=body | {"account_ids": [branch_account.id]})  # fmt: skip
    assert (wrong.status, wrong.json["field"]) == (422, "account_ids") and "运维" in wrong.json["message"]
    assert dataclasses.asdict(api.store.maintenance.provider_for("ent-in"))["name"] == "如皋某运维公司"  # type: ignore[arg-type]
