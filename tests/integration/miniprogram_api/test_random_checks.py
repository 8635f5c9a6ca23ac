"""双随机 over HTTP: a branch draws for its own branch (seed and inputs on the audit trail), a second draw of the
period is refused, a redo needs a reason, the assigned inspector records once with the enterprise's alarms, and
each role sees only its scope (a town its enterprises' checks, an enterprise nothing)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.accounts.models import Role
from tests.integration.miniprogram_api.conftest import Api

pytestmark = pytest.mark.integration
_years = itertools.count(5000)


def _audit(api: Api, action: str, object_id: str) -> dict[str, object]:
    since, until = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    records, _ = api.store.audit_trail.query(since=since, until=until, action=action, object_id=object_id)
    assert len(records) == 1, records
    return dict(records[0].detail)


def test_a_branch_draws_once_per_period_and_the_draw_is_audited(api: Api) -> None:
    period = f"{next(_years)}-Q1"
    body = {"branch_id": "branch-in", "period": period, "n": 5, "seed": "http-seed-01"}
    reply = api.client.post("/random-checks/draws", token=api.token(Role.BRANCH), json_body=body)
    assert reply.status == 201, reply
    draw = reply.json["draw"]
    assert draw["seed"] == "http-seed-01" and draw["algorithm"] == "sha256-rank-v1" and draw["generation"] == 1
    assert draw["drawn_at"].endswith("+08:00") and "ent-in" in draw["candidates"]
    assert {c["status"] for c in reply.json["checks"]} == {"pending"}
    assert all(len(c["inspectors"]) == 2 for c in reply.json["checks"])
    detail = _audit(api, "random_checks.draw", draw["draw_id"])
    assert detail["seed"] == "http-seed-01" and detail["candidates"] == draw["candidate_count"]
    again = api.client.post("/random-checks/draws", token=api.token(Role.AIR), json_body=body | {"seed": None})
    assert again.status == 409 and "已抽取" in again.json["message"]
    refused = api.client.post("/random-checks/draws/" + draw["draw_id"] + "/redo", token=api.token(Role.BRANCH),
                              json_body={"reason": ""})  # fmt: skip
    assert refused.status == 422 and refused.json["field"] == "reason"
    redo = api.client.post("/random-checks/draws/" + draw["draw_id"] + "/redo", token=api.token(Role.BRANCH),
                           json_body={"reason": "企业名单调整"})  # fmt: skip
    assert redo.status == 201 and redo.json["draw"]["supersedes"] == draw["draw_id"]
    assert _audit(api, "random_checks.draw", redo.json["draw"]["draw_id"])["reason"] == "企业名单调整"
    old = api.client.get("/random-checks/draws/" + draw["draw_id"], token=api.token(Role.VIEWER))
    assert old.json["draw"]["superseded_by"] == redo.json["draw"]["draw_id"]
    assert {c["status"] for c in old.json["checks"]} == {"void"}


def test_the_assigned_inspector_records_once_with_the_enterprises_alarms(api: Api) -> None:
    period = f"{next(_years)}-01"
    reply = api.client.post("/random-checks/draws", token=api.token(Role.ADMIN),
                            json_body={"branch_id": "branch-in", "period": period, "n": 50})  # fmt: skip
    check = next(c for c in reply.json["checks"] if c["enterprise_id"] == "ent-in")
    path = f"/random-checks/checks/{check['check_id']}/record"
    token = api.token(Role.BRANCH)
    record = {"conclusion": "issues", "findings": [{"item": "operation", "ok": False, "note": "治理设施停运"}],
              "text": "现场治理设施停运", "alarm_ids": [api.world.inside["alarm_id"]]}  # fmt: skip
    foreign = api.client.post(path, token=token, json_body=record | {"alarm_ids": [api.world.outside["alarm_id"]]})
    assert foreign.status == 422 and "报警" in foreign.json["message"]
    bad = api.client.post(path, token=token, json_body=record | {"conclusion": "maybe"})
    assert bad.status == 422 and bad.json["field"] == "conclusion"
    done = api.client.post(path, token=token, json_body=record)
    assert done.status == 201, done
    assert done.json["status"] == "done" and done.json["record"]["alarm_ids"] == [api.world.inside["alarm_id"]]
    assert done.json["record"]["findings"][0]["item_name"] == "用电工况监控运行状况"
    twice = api.client.post(path, token=token, json_body=record)
    assert twice.status == 409
    mine = api.client.get("/random-checks/checks", token=token, query={"mine": "true", "limit": "200"})
    assert check["check_id"] in {c["check_id"] for c in mine.json["items"]}
    assert all(api.world.accounts[Role.BRANCH].id in {p["account_id"] for p in c["inspectors"]}
               for c in mine.json["items"])  # fmt: skip
    no_redo = api.client.post(f"/random-checks/draws/{check['draw_id']}/redo", token=api.token(Role.AIR),
                              json_body={"reason": "想换一批"})  # fmt: skip
    assert no_redo.status == 409


def test_scope_a_town_sees_its_enterprises_checks_and_an_enterprise_sees_nothing(api: Api) -> None:
    town = api.client.get("/random-checks/checks", token=api.token(Role.TOWN), query={"limit": "200"})
    assert town.status == 200 and {c["enterprise_id"] for c in town.json["items"]} == {"ent-in"}
    draw = api.client.get("/random-checks/draws/" + api.world.inside["draw_id"], token=api.token(Role.TOWN))
    assert draw.status == 200 and draw.json["draw"]["candidates"] == [] and draw.json["draw"]["pool"] == []
    outside = api.client.get("/random-checks/draws/" + api.world.outside["draw_id"], token=api.token(Role.BRANCH))
    assert outside.status == 404
    assert api.client.get("/random-checks/checks", token=api.token(Role.ENTERPRISE)).status == 403
    pool = api.client.request("PUT", "/random-checks/pools/branch-in", token=api.token(Role.BRANCH),
                          json_body={"account_ids": ["insp-out-1"], "version": 99})  # fmt: skip
    assert pool.status == 409
    current = api.client.get("/random-checks/pools/branch-in", token=api.token(Role.BRANCH)).json
    wrong = api.client.request("PUT", "/random-checks/pools/branch-in", token=api.token(Role.BRANCH),
                           json_body={"account_ids": ["insp-out-1"], "version": current["version"]})  # fmt: skip
    assert wrong.status == 422 and "不是本分局" in wrong.json["message"]
