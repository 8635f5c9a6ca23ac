"""Alarm routes over a real loopback socket on sqlite, with a clock the test moves: the whole workflow with its
versions, the list's order, filters and pages, hostile filters, and scope (404) versus role (403)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from monitoring.accounts.models import Role
from monitoring.alarms.models import Alarm, AlarmState, Cause, Episode, Response
from monitoring.storage.ports import Store
from tests.integration.miniprogram_api.routes_alarms.conftest import Live
from tests.support.api import Reply

pytestmark = pytest.mark.integration


def _ids(reply: Reply) -> list[str]:
    assert reply.status == 200, reply
    return [item["id"] for item in reply.json["items"]]


def test_the_workflow_over_http_with_versions_scope_and_roles(live: Live) -> None:
    # The enterprise sees its own alarm only; another enterprise's does not exist for it.
    assert _ids(live.get(Role.ENTERPRISE, "/alarms")) == ["alarm-in"]
    assert live.get(Role.ENTERPRISE, "/alarms/alarm-out").status == 404
    detail = live.get(Role.ENTERPRISE, "/alarms/alarm-in").json
    created = datetime.fromisoformat(detail["created_at"])
    assert detail["created_at"].endswith("+08:00") and detail["state"] == "pending" and detail["state_name"] == "待响应"
    assert datetime.fromisoformat(detail["response_due"]) == created + timedelta(hours=2)
    left = datetime.fromisoformat(detail["response_due"]) - live.clock.now()
    assert detail["time_left_s"]["response"] == int(left.total_seconds()) > 80 * 60 and detail["overdue"] == []
    assert [s["side"] for s in detail["series"]] == ["production", "control"]
    words = " ".join(detail["episodes"][0]["words"])
    assert "产治关联“1号治理线”" in words and "ra-a-in" not in words  # the line by its name, not its id
    assert detail["episodes"][0]["thresholds"]["min_duration_min"] == 10
    assert detail["lines"] == ["1号治理线"]  # where, in names
    assert detail["town_name"] == "in镇" and detail["branch_name"] == "in分局"
    assert detail["dispatched_to_name"] is None

    photo = live.upload(Role.ENTERPRISE, "ent-in", "alarm-in")
    assert photo.status == 201, photo
    photo_id = photo.json["photo_id"]
    body = {"version": detail["version"], "cause": "equipment_fault", "text": "风机跳闸", "photos": [photo_id],
            "location": {"lat": 32.39, "lon": 120.56, "accuracy_m": 35}}  # fmt: skip
    assert live.post(Role.TOWN, "/alarms/alarm-in/respond", body).status == 403  # town only reads
    answered = live.post(Role.ENTERPRISE, "/alarms/alarm-in/respond", body)
    assert answered.status == 200 and answered.json["state"] == "responded", answered
    stale = live.post(Role.ENTERPRISE, "/alarms/alarm-in/respond", body)  # the same page sent twice
    assert stale.status == 409 and stale.json["code"] == "conflict" and "刷新" in stale.json["message"]

    v = answered.json["version"]
    other_branch = live.post(Role.BRANCH, "/alarms/alarm-in/dispatch", {"version": v, "branch_id": "branch-out"})
    assert other_branch.status == 409  # a branch takes alarms on itself only
    live.clock.advance(timedelta(minutes=10))
    sent = live.post(Role.BRANCH, "/alarms/alarm-in/dispatch", {"version": v})
    assert sent.status == 200 and sent.json["dispatched_to"] == "branch-in", sent
    sent_to = live.get(Role.BRANCH, "/alarms/alarm-in").json
    assert sent_to["dispatched_to_name"] == sent_to["branch_name"] != "branch-in"  # the branch by its name
    assert datetime.fromisoformat(sent.json["investigation_due"]) == live.clock.now() + timedelta(hours=24)
    on_site = {"lat": 32.3912, "lon": 120.5634}
    checked = live.post(
        Role.BRANCH, "/alarms/alarm-in/verify", {"version": sent.json["version"], "result": "属实", "location": on_site}
    )
    verified = live.get(Role.BRANCH, "/alarms/alarm-in").json["verification"]
    assert verified["location"] == {**on_site, "accuracy_m": None}
    assert checked.status == 200 and checked.json["state"] == "verified", checked
    closed = live.post(Role.AIR, "/alarms/alarm-in/close", {"version": checked.json["version"], "note": "办结"})
    assert closed.status == 200 and closed.json["state"] == "closed", closed
    reopened = live.post(Role.AIR, "/alarms/alarm-in/reopen", {"version": closed.json["version"], "reason": "复查"})
    assert reopened.status == 200 and reopened.json["state"] == "dispatched", reopened

    detail = live.get(Role.VIEWER, "/alarms/alarm-in").json
    assert [e["action"] for e in detail["audit"]] == ["responded", "dispatched", "verified", "closed", "reopened"]
    assert detail["response"]["cause_name"] == "设备故障" and detail["photos"] == [photo_id]
    assert detail["response"]["location"] == {"lat": 32.39, "lon": 120.56, "accuracy_m": 35.0}
    assert detail["verification"] is None and detail["audit"][0]["at"].endswith("+08:00")
    day = timedelta(days=1)
    trail, _ = live.store.audit_trail.query(
        since=live.clock.now() - day, until=live.clock.now() + day, object_type="alarm", object_id="alarm-in"
    )
    assert sorted(r.action for r in trail) == [
        "alarms.close",
        "alarms.dispatch",
        "alarms.reopen",
        "alarms.respond",
        "alarms.verify",
    ]
    assert {r.enterprise_id for r in trail} == {"ent-in"} and all(r.source_ip == "127.0.0.1" for r in trail)
    # The refused attempts are on the trail too: the town's (403) and the stale page's (409), by action.
    denied = live.get(Role.ADMIN, "/audit", action="alarms.respond.denied")
    assert denied.status == 200, denied
    tried = sorted((r["actor_role"], r["detail"]["error"], r["object_id"]) for r in denied.json["items"])
    assert tried == [("enterprise", "conflict", "alarm-in"), ("town", "forbidden", "alarm-in")]
    assert live.get(Role.ADMIN, "/audit", action="alarms.respond").json["items"][0]["object_id"] == "alarm-in"
    assert live.get(Role.ADMIN, "/audit", action="x; DROP TABLE").json["field"] == "action"


def _put(store: Store, aid: str, enterprise: str, created: datetime, **kw: Any) -> Alarm:
    ep = Episode(created, None, {}, {})
    alarm = Alarm(
        aid, kw.pop("rule", "power_loss"), f"{aid}/s", enterprise, "medium", AlarmState.PENDING, (ep,), created, created
    )
    return store.alarms.put(replace(alarm, **kw), expected_version=None)


def test_list_order_filters_and_pages(live: Live) -> None:
    now = live.clock.now()
    _put(live.store, "old-pending", "ent-in", now - timedelta(hours=5))
    _put(live.store, "closed-one", "ent-in", now - timedelta(hours=6), state=AlarmState.CLOSED, rule="tamper_flatline")
    _put(live.store, "out-pending", "ent-out", now - timedelta(hours=1), escalated_at=now - timedelta(minutes=5))
    everything = _ids(live.get(Role.ADMIN, "/alarms"))
    # due: old-pending 3 h ago, out-pending in 1 h, alarm-in/-out in 1.5 h (same time: by id); closed last
    assert everything == ["old-pending", "out-pending", "alarm-in", "alarm-out", "closed-one"]
    assert _ids(live.get(Role.BRANCH, "/alarms")) == ["old-pending", "alarm-in", "closed-one"]  # branch-in only
    assert _ids(live.get(Role.ADMIN, "/alarms", overdue="response")) == ["old-pending"]
    assert _ids(live.get(Role.ADMIN, "/alarms", state=["closed"])) == ["closed-one"]
    assert _ids(live.get(Role.ADMIN, "/alarms", rule="tamper_flatline")) == ["closed-one"]
    assert _ids(live.get(Role.EMERGENCY, "/alarms", escalated="true")) == ["out-pending"]
    assert "out-pending" not in _ids(live.get(Role.ADMIN, "/alarms", escalated="false"))
    assert _ids(live.get(Role.ADMIN, "/alarms", town_id="town-out")) == ["out-pending", "alarm-out"]
    assert _ids(live.get(Role.BRANCH, "/alarms", enterprise_id="ent-out")) == []  # a filter never widens scope
    since = (now - timedelta(hours=2)).isoformat()
    assert _ids(live.get(Role.ADMIN, "/alarms", created_from=since)) == ["out-pending", "alarm-in", "alarm-out"]

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        reply = live.get(Role.ADMIN, "/alarms", **query)
        seen += _ids(reply)
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
    assert seen == everything

    live.clock.advance(timedelta(hours=3))  # every pending alarm is now past its 2 hours
    late = _ids(live.get(Role.ADMIN, "/alarms", overdue="any"))
    assert late == ["old-pending", "out-pending", "alarm-in", "alarm-out"]
    assert live.get(Role.ADMIN, "/alarms/old-pending").json["time_left_s"]["response"] < 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "gone"}, "state.0"),
        ({"severity": "urgent"}, "severity.0"),
        ({"rule": "x' OR 1=1 --"}, "rule.0"),
        ({"enterprise_id": "ent-in' OR '1'='1"}, "enterprise_id.0"),
        ({"town_id": "../../etc/passwd"}, "town_id.0"),
        ({"overdue": "sometimes"}, "overdue"),
        ({"escalated": "perhaps"}, "escalated"),
        ({"created_from": "2026-12-01T08:00:00"}, "created_from"),
        ({"created_from": "0001-01-01T00:00:00+08:00"}, "created_from"),
        ({"created_to": "9999-12-31T23:59:59-12:00"}, "created_to"),
        ({"cursor": "eyJrIjoiMSIsImlkIjoiJyBPUiAxPTEifQ"}, "cursor"),
        ({"limit": "100000"}, "limit"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_hostile_filters_are_refused_with_the_field_named(live: Live, query: dict[str, str], field: str) -> None:
    reply = live.get(Role.ADMIN, "/alarms", **query)
    assert reply.status == 422, reply
    assert reply.json["field"] == field and any("\u4e00" <= ch <= "\u9fff" for ch in reply.json["message"])


def test_transition_bodies_are_checked(live: Live) -> None:
    bad = live.post(Role.ENTERPRISE, "/alarms/alarm-in/respond", {"version": 1, "cause": "aliens"})
    assert bad.status == 422 and bad.json["field"] == "cause"
    photos = {"version": 1, "cause": "other", "photos": [f"p/{i}.jpg" for i in range(10)]}
    assert live.post(Role.ENTERPRISE, "/alarms/alarm-in/respond", photos).json["field"] == "photos"
    escape = {"version": 1, "cause": "other", "photos": ["p/../../secret.jpg"]}
    assert live.post(Role.ENTERPRISE, "/alarms/alarm-in/respond", escape).status == 422
    assert live.post(Role.BRANCH, "/alarms/alarm-in/verify", {"version": 1}).json["field"] == "result"
    # Cited photos must be real uploads of the alarm's enterprise: an unknown id, a made-up path, another's photo.
    theirs = live.upload(Role.ADMIN, "ent-out", "alarm-out")
    assert theirs.status == 201, theirs
    mine = live.upload(Role.ENTERPRISE, "ent-in", "alarm-in").json["photo_id"]
    for i, ref in ((1, "ph-" + "0" * 32), (1, "p/ent-in/1.jpg"), (1, theirs.json["photo_id"])):
        cited = {"version": 1, "cause": "other", "photos": [mine, ref]}
        refused = live.post(Role.ENTERPRISE, "/alarms/alarm-in/respond", cited)
        assert refused.status == 422 and refused.json["field"] == f"photos.{i}", refused
        assert refused.json["code"] == "unknown_photo"
    verified = {"version": 1, "result": "x", "photos": [theirs.json["photo_id"]]}
    assert live.post(Role.BRANCH, "/alarms/alarm-in/verify", verified).json["field"] == "photos.0"
    nowhere = {"version": 1, "cause": "other", "location": {"lat": 91, "lon": 120.5}}
    assert live.post(Role.ENTERPRISE, "/alarms/alarm-in/respond", nowhere).json["field"] == "location.lat"
    assert live.post(Role.ADMIN, "/alarms/alarm-in/dispatch", {"version": 1, "branch_id": "nowhere"}).status == 422
    assert live.post(Role.ADMIN, "/alarms/no-such-alarm/close", {"version": 1}).status == 404


def test_an_alarm_dispatched_to_another_branch_is_that_branchs_to_verify(live: Live) -> None:
    assert live.get(Role.BRANCH, "/alarms/alarm-out").status == 404  # ent-out belongs to branch-out
    sent = live.post(Role.AIR, "/alarms/alarm-out/dispatch", {"version": 1, "branch_id": "branch-in"})
    assert sent.status == 200 and sent.json["dispatched_to"] == "branch-in", sent
    assert live.get(Role.BRANCH, "/alarms/alarm-out").status == 200
    # It is in the branch's list too (with its own alarm, in list order), and honours the list's filters.
    listed = _ids(live.get(Role.BRANCH, "/alarms"))
    assert "alarm-out" in listed and "alarm-in" in listed
    assert "alarm-out" not in _ids(live.get(Role.BRANCH, "/alarms", enterprise_id="ent-in"))
    assert _ids(live.get(Role.BRANCH, "/alarms", enterprise_id="ent-out")) == ["alarm-out"]
    first = live.get(Role.BRANCH, "/alarms", limit=1)
    rest = live.get(Role.BRANCH, "/alarms", limit=50, cursor=first.json["next_cursor"])
    assert _ids(first) + _ids(rest) == listed
    # The branch adds and reads the verification photo of the case (ent-out is outside its area).
    photo = live.upload(Role.BRANCH, "ent-out", "alarm-out", kind="verification")
    assert photo.status == 201, photo
    assert live.client.get(photo.json["url"][len("/api/v1") :], token=live.token(Role.BRANCH)).status == 200
    assert live.upload(Role.BRANCH, "ent-out", "alarm-in", kind="verification").status == 404  # not this alarm's
    # A photo of ent-out with no subject is the branch's to read only once this case cites it.
    loose = live.upload(Role.ADMIN, "ent-out", "", kind="site").json
    assert live.client.get(f"/photos/{loose['photo_id']}", token=live.token(Role.BRANCH)).status == 404
    case = live.store.alarms.get("alarm-out")
    cited = replace(case, response=Response(Cause.OTHER, "检修", (loose["photo_id"],), "u", live.clock.now()))
    live.store.alarms.put(cited, expected_version=case.version)
    assert live.client.get(f"/photos/{loose['photo_id']}", token=live.token(Role.BRANCH)).status == 200
    body = {"version": case.version + 1, "result": "已整改", "photos": [photo.json["photo_id"]]}
    done = live.post(Role.BRANCH, "/alarms/alarm-out/verify", body)
    assert done.status == 200 and done.json["state"] == "verified", done
    assert live.get(Role.TOWN, "/alarms/alarm-out").status == 404  # other scoped roles still do not see it
    assert "alarm-out" not in _ids(live.get(Role.TOWN, "/alarms"))
