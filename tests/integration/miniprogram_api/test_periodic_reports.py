"""月度用电汇总 over HTTP: rows only for the caller's enterprises, sums and no-data as null, paging, the XLSX with
Chinese headers and file name, and bad or future months refused with the field. 月度报告: XLSX or PDF per unit,
a branch or town confined to its own unit, bad month or scope refused with the field."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from monitoring._time import china_day_bounds
from monitoring.accounts.models import Role
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.clock import FixedClock
from monitoring.readings.models import Aggregate, AggregatePeriod
from tests.integration.miniprogram_api.conftest import BACKENDS
from tests.integration.miniprogram_api.world import PASSWORD, build_world
from tests.support.api import ApiClient, Reply, api_settings, serve

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 14:00 Beijing time


class Api:
    def __init__(self, client: ApiClient, tokens: dict[Role, str]) -> None:
        self.client, self.tokens = client, tokens

    def get(self, path: str, role: Role, **query: Any) -> Reply:
        return self.client.get(path, token=self.tokens[role], query=query or None)


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with request.param(request, Path(tmp_path_factory.mktemp("reports-api"))) as store:
        world = build_world(store)
        for day, kwh in ((1, 120.0), (2, 80.5), (30, 10.0)):
            start = china_day_bounds(date(2026, 11, day))[0]
            store.readings.put_aggregate(Aggregate("point-in", AggregatePeriod.DAY, start, 1440, energy_kwh=kwh))
        raised = datetime(2026, 11, 3, 2, tzinfo=UTC)
        episode = Episode(raised, None, {}, {})
        for alarm_id, eid in (("al-in", "ent-in"), ("al-out", "ent-out")):
            alarm = Alarm(alarm_id, "control_stopped", f"s:{alarm_id}", eid, "high", AlarmState.PENDING, (episode,),
                          raised, raised)  # fmt: skip
            store.alarms.put(alarm, expected_version=None)
        start = china_day_bounds(date(2026, 10, 31))[0]  # the month before
        store.readings.put_aggregate(Aggregate("point-in", AggregatePeriod.DAY, start, 1440, energy_kwh=5000.0))
        with serve(store, api_settings(login_rate_per_minute=6000, login_burst=1000), clock=FixedClock(NOW)) as client:
            tokens = {}
            for role, account in world.accounts.items():
                reply = client.post("/auth/login", json_body={"login": account.username, "password": PASSWORD})
                assert reply.status == 200, reply
                tokens[role] = reply.json["access_token"]
            yield Api(client, tokens)


def test_month_rows_are_the_callers_enterprises_with_their_sums(api: Api) -> None:
    county = api.get("/reports/monthly-energy", Role.AIR, month="2026-11")
    assert county.status == 200, county
    rows = {r["enterprise_id"]: r for r in county.json["rows"]}
    assert set(rows) == {"ent-in", "ent-out"}
    role_kwh = [rows["ent-in"][k] for k in ("production_kwh", "control_kwh", "main_kwh")]
    assert 210.5 in role_kwh and role_kwh.count(None) == 2  # one metered role; the others 无数据, never 0
    assert (rows["ent-in"]["days"], rows["ent-in"]["days_with_data"]) == (30, 3)
    assert rows["ent-out"]["days_with_data"] == 0
    assert (county.json["first_day"], county.json["last_day"]) == ("2026-11-01", "2026-11-30")
    for role in (Role.BRANCH, Role.TOWN, Role.ENTERPRISE, Role.INSTALLER):
        mine = api.get("/reports/monthly-energy", role, month="2026-11").json["rows"]
        assert [r["enterprise_id"] for r in mine] == ["ent-in"], role


def test_current_month_ends_today_and_pages_by_enterprise(api: Api) -> None:
    first = api.get("/reports/monthly-energy", Role.ADMIN, month="2026-12", limit=1).json
    assert first["last_day"] == "2026-12-01" and first["rows"][0]["days"] == 1 and first["next_cursor"]
    second = api.get("/reports/monthly-energy", Role.ADMIN, month="2026-12", limit=1, cursor=first["next_cursor"])
    assert len(second.json["rows"]) == 1 and second.json["next_cursor"] is None
    assert first["rows"][0]["enterprise_id"] != second.json["rows"][0]["enterprise_id"]


@pytest.mark.parametrize(
    "query",
    [
        {"month": "2027-01"},
        {"month": "2026-13"},
        {"month": "2026-1"},
        {"month": "1999-12"},
        {},
        {"month": "2026-11' --"},
        {"month": "0000-01"},
        {"month": "٢٠٢٦-11"},
    ],
)
def test_bad_or_future_months_are_refused_with_the_field(api: Api, query: dict[str, str]) -> None:
    for path in ("/reports/monthly-energy", "/reports/monthly-energy.xlsx"):
        reply = api.get(path, Role.ADMIN, **query)
        assert reply.status == 422, (path, query, reply)
        assert reply.json["message"] and reply.json.get("field") in ("month", None), reply.json


def test_xlsx_download_has_chinese_headers_and_only_visible_rows(api: Api) -> None:
    reply = api.get("/reports/monthly-energy.xlsx", Role.BRANCH, month="2026-11")
    assert reply.status == 200, reply
    assert reply.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = reply.headers["content-disposition"]
    assert 'filename="monthly-energy-2026-11.xlsx"' in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == "月度用电汇总-2026-11.xlsx"
    sheet = load_workbook(io.BytesIO(reply.body)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ["序号", "企业名称"] and "治污设施用电（kWh）" in values[0]
    assert len(values) == 2 and 210.5 in values[1]  # the branch's one enterprise


def _book(reply: Reply) -> Any:
    assert reply.status == 200, reply
    assert reply.headers["content-type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(reply.body))


def test_monthly_report_county_and_units(api: Api) -> None:
    county = _book(api.get("/reports/monthly", Role.AIR, month="2026-11"))
    assert county["概况"]["B2"].value == "如皋市工况用电监控月度报告（2026年11月）"
    assert county["报警统计"]["C2"].value == 2 and "分镇分局" in county.sheetnames
    town = _book(api.get("/reports/monthly", Role.VIEWER, month="2026-11", scope="town:town-out"))
    assert town["概况"]["B2"].value.startswith("out镇") and town["报警统计"]["C2"].value == 1
    for role, unit in ((Role.BRANCH, "in分局"), (Role.TOWN, "in镇")):  # their own unit by default
        own = _book(api.get("/reports/monthly", role, month="2026-11"))
        assert own["概况"]["B2"].value.startswith(unit) and own["报警统计"]["C2"].value == 1
        assert [r[1] for r in own["在线与完整率"].iter_rows(min_row=2, values_only=True)] == ["测试企业in"]


def test_monthly_report_pdf_download(api: Api) -> None:
    reply = api.get("/reports/monthly", Role.BRANCH, month="2026-11", format="pdf", scope="branch:branch-in")
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "application/pdf" and reply.body.startswith(b"%PDF-")
    disposition = reply.headers["content-disposition"]
    assert 'filename="monthly-branch-branch-in-2026-11.pdf"' in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == "in分局工况用电监控月度报告（2026年11月）.pdf"


@pytest.mark.parametrize(
    ("role", "query", "status", "field"),
    [
        (Role.BRANCH, {"scope": "branch:branch-out"}, 404, "scope"),  # another branch: not there for it
        (Role.BRANCH, {"scope": "county"}, 404, "scope"),
        (Role.TOWN, {"scope": "town:town-out"}, 404, "scope"),
        (Role.AIR, {"scope": "town:nowhere"}, 404, None),
        (Role.AIR, {"scope": "city:x"}, 422, "scope"),
        (Role.AIR, {"scope": "town:a b"}, 422, "scope"),
        (Role.AIR, {"month": "2027-01"}, 422, "month"),
        (Role.AIR, {"month": "1999-12"}, 422, "month"),
        (Role.AIR, {"format": "docx"}, 422, "format"),
        (Role.ENTERPRISE, {}, 403, None),
        (Role.INSTALLER, {}, 403, None),
    ],
)
def test_monthly_report_refusals(api: Api, role: Role, query: dict[str, str], status: int, field: str | None) -> None:
    reply = api.get("/reports/monthly", role, **({"month": "2026-11"} | query))
    assert reply.status == status, reply
    assert reply.json["message"] and reply.json.get("field") == field, reply.json
