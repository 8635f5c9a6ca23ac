"""Commissioning judged by the server from the stored readings (pass → 已联网, audited; a failing or unknown
check never passes) and the maintenance log: write, list with a cursor, scope, photos of the enterprise only."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.accounts.models import Role
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import FacilityKind, InstallStatus, MonitoringPoint
from monitoring.registry.terminal import GpsFix, Terminal, hash_password
from tests.integration.miniprogram_api.conftest import Api

pytestmark = pytest.mark.integration

GOOD = {"ua": 231.0, "ub": 229.5, "uc": 230.2, "pa": 12.0, "pb": 11.5, "pc": 12.3, "p": 35.8,
        "angle_ua": 0.0, "angle_ub": 240.0, "angle_uc": 120.0,
        "angle_ia": 15.0, "angle_ib": 255.0, "angle_ic": 135.0}  # fmt: skip


def _rig(api: Api, mn: str, values: dict[str, float] | None, *, gps: bool = True) -> str:
    """A terminal of ent-in with one point and (optionally) a realtime reading; ent-in set to 已安装."""
    reg = api.store.registry
    now = datetime.now(UTC)
    fix = GpsFix(32.39, 120.57, now) if gps else None
    reg.put_terminal(Terminal(mn=mn, county_id="rugao", password_hash=hash_password("123456", n=2**4),
                              enterprise_id="ent-in", gps=fix))  # fmt: skip
    point_id = f"pt-{mn.lower()}"
    reg.put_point(MonitoringPoint(point_id, "ent-in", "fac-in", f"CODE-{mn}", "调试点位", FacilityKind.PRODUCTION,
                                  mn=mn, channel="01"))  # fmt: skip
    if values is not None:
        api.store.readings.put_reading(Reading(point_id, now - timedelta(minutes=1), ReadingKind.REALTIME, values))
    enterprise = reg.get_enterprise("ent-in")
    reg.put_enterprise(dataclasses.replace(enterprise, install_status=InstallStatus.INSTALLED))
    return point_id


def _verdicts(body: dict[str, object]) -> dict[str, str]:
    return {c["key"]: c["verdict"] for c in body["checks"]}  # type: ignore[attr-defined]


def test_all_checks_pass_and_the_enterprise_moves_to_networked(api: Api) -> None:
    point_id = _rig(api, "MNCOMM0001", GOOD)
    photo = api.world.inside["photo_id"]
    reply = api.client.post("/terminals/MNCOMM0001/commissioning", token=api.token(Role.INSTALLER),
                            json_body={"photo_ids": [photo], "text": "接线完成"})  # fmt: skip
    assert reply.status == 201, reply
    entry = reply.json["entry"]
    assert _verdicts(entry) == {"voltage": "pass", "direction": "pass", "sequence": "pass", "gps": "pass"}
    assert entry["passed"] is True and entry["point_id"] == point_id and entry["photo_ids"] == [photo]
    assert entry["checks"][0]["detail"] == "231V / 230V / 230V" and entry["at"].endswith("+08:00")
    assert (reply.json["install_status_before"], reply.json["install_status"]) == ("installed", "networked")
    assert api.store.registry.get_enterprise("ent-in").install_status is InstallStatus.NETWORKED
    latest = api.client.get("/terminals/MNCOMM0001/commissioning", token=api.token(Role.BRANCH))
    assert latest.status == 200 and latest.json["entry_id"] == entry["entry_id"]
    audit = api.client.get("/audit", token=api.token(Role.ADMIN), query={"object_id": "MNCOMM0001"})
    (item,) = [i for i in audit.json["items"] if i["detail"].get("commissioning") == entry["entry_id"]]
    assert item["actor_role"] == "installer" and item["detail"]["install_status"] == "networked"


@pytest.mark.parametrize(
    ("values", "gps", "key", "verdict", "detail"),
    [
        (GOOD | {"uc": 3.0}, True, "voltage", "fail", "C相无电压"),
        (GOOD | {"pb": -4.2}, True, "direction", "fail", "B相有功功率为负：电流互感器可能接反"),
        (GOOD | {"angle_ub": 120.0, "angle_uc": 240.0}, True, "sequence", "fail", "电压相序不是 A→B→C（正序）"),
        (GOOD | {"angle_ia": 255.0, "angle_ib": 15.0}, True, "sequence", "fail",
         "A、B相电流与本相电压不对应：电流互感器接错相"),
        ({k: v for k, v in GOOD.items() if not k.startswith("angle")}, True, "sequence", "unknown",
         "最新数据没有电压相角，无法判断"),
        (GOOD, False, "gps", "fail", "终端没有上报定位"),
        (None, True, "voltage", "unknown", "最新数据缺少A、B、C相电压"),
    ],
)  # fmt: skip
def test_a_failing_or_unknown_check_keeps_the_enterprise_installed(
    api: Api, values: dict[str, float] | None, gps: bool, key: str, verdict: str, detail: str
) -> None:
    mn = f"MNBAD{abs(hash((key, detail))) % 10**8:08d}"
    _rig(api, mn, values, gps=gps)
    reply = api.client.post(f"/terminals/{mn}/commissioning", token=api.token(Role.ADMIN), json_body={})
    assert reply.status == 201, reply
    check = next(c for c in reply.json["entry"]["checks"] if c["key"] == key)
    assert (check["verdict"], check["detail"]) == (verdict, detail)
    assert reply.json["entry"]["passed"] is False and reply.json["install_status"] == "installed"
    assert api.store.registry.get_enterprise("ent-in").install_status is InstallStatus.INSTALLED


def test_commissioning_refuses_foreign_photos_and_points_and_is_out_of_scope_404(api: Api) -> None:
    _rig(api, "MNCOMM0002", GOOD)
    token = api.token(Role.INSTALLER)
    foreign = api.client.post("/terminals/MNCOMM0002/commissioning", token=token,
                              json_body={"photo_ids": [api.world.outside["photo_id"]]})  # fmt: skip
    assert (foreign.status, foreign.json["code"], foreign.json["field"]) == (422, "photo_invalid", "photo_ids.0")
    point = api.client.post("/terminals/MNCOMM0002/commissioning", token=token, json_body={"point_id": "pt-out"})
    assert (point.status, point.json["field"]) == (422, "point_id")
    outside = api.client.post(f"/terminals/{api.world.outside['mn']}/commissioning", token=token, json_body={})
    assert outside.status == 404
    assert api.client.post("/terminals/MNCOMM0002/commissioning", token=api.token(Role.BRANCH),
                           json_body={}).status == 403  # fmt: skip


def test_maintenance_log_is_written_by_installers_and_read_in_scope_with_a_cursor(api: Api) -> None:
    token = api.token(Role.INSTALLER)
    made = []
    for i in range(3):
        at = (datetime.now(UTC) - timedelta(hours=3 - i)).isoformat()
        body = {"kind": "repair" if i == 1 else "inspection", "at": at, "mn": api.world.inside["mn"],
                "items": ["接线紧固", "CT 外观"], "text": f"第{i}次\n正常"}  # fmt: skip
        reply = api.client.post("/enterprises/ent-in/maintenance-log", token=token, json_body=body)
        assert reply.status == 201 and reply.json["by"] == api.world.accounts[Role.INSTALLER].id, reply
        made.append(reply.json["entry_id"])
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = api.client.get("/enterprises/ent-in/maintenance-log", token=api.token(Role.TOWN), query=query)
        assert page.status == 200, page
        seen += [e["entry_id"] for e in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert [e for e in seen if e in made] == made[::-1] and len(seen) == len(set(seen))
    assert api.client.get("/enterprises/ent-out/maintenance-log", token=api.token(Role.TOWN)).status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "commissioning"}, "kind"),
        ({"kind": "inspection", "at": "2099-01-01T00:00:00+08:00"}, "at"),
        ({"kind": "inspection", "mn": "MNOUT0001"}, "mn"),
        ({"kind": "inspection", "items": ["x" * 41]}, "items.0"),
        ({"kind": "inspection", "photo_ids": ["../../etc/passwd"]}, "photo_ids.0"),
        ({"kind": "unknown"}, "kind"),
    ],
)
def test_maintenance_entries_refuse_bad_input(api: Api, body: dict[str, object], field: str) -> None:
    reply = api.client.post("/enterprises/ent-in/maintenance-log", token=api.token(Role.ADMIN), json_body=body)
    assert (reply.status, reply.json["field"]) == (422, field), reply


def test_a_forged_maintenance_cursor_is_refused(api: Api) -> None:
    for position in ({"at": "2026-12-01T00:00:00", "id": "x"}, {"at": "yesterday", "id": "x"}, {"id": "x"}):
        cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")
        reply = api.client.get(
            "/enterprises/ent-in/maintenance-log", token=api.token(Role.ADMIN), query={"cursor": cursor}
        )
        assert (reply.status, reply.json["code"]) == (422, "invalid_cursor"), (position, reply)
