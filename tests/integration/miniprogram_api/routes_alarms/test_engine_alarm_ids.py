"""The rules engine's own alarm ids (rule|subject|start; a line's subject holds "/") are addressable through the API
when URL-encoded, on both backends: detail and a workflow step."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

import pytest

from monitoring.accounts.models import Role
from monitoring.alarms.reconcile import alarm_id
from tests.integration.miniprogram_api.routes_alarms.conftest import Live

pytestmark = pytest.mark.integration


def test_an_engine_alarm_id_with_bar_and_slash_is_read_and_worked(live: Live) -> None:
    template = live.store.alarms.get("alarm-in")
    subject = "ra-a-in/ra-cp-in-2"  # a line's subject: association/control point
    engine_id = alarm_id(template.rule, subject, template.created_at)
    assert "|" in engine_id and "/" in engine_id
    live.store.alarms.put(replace(template, id=engine_id, subject=subject, version=0), expected_version=None)
    path = "/alarms/" + quote(engine_id, safe="")
    detail = live.get(Role.ENTERPRISE, path)
    assert detail.status == 200 and detail.json["id"] == engine_id, detail
    body = {"version": detail.json["version"], "cause": "maintenance", "text": "计划检修", "photos": []}
    answered = live.post(Role.ENTERPRISE, path + "/respond", body)
    assert answered.status == 200 and answered.json["state"] == "responded", answered
    assert live.store.alarms.get(engine_id).response is not None
    # ".." stays refused, encoded or not
    assert live.get(Role.ADMIN, "/alarms/" + quote("a/../b", safe="")).status == 422


def test_the_list_pages_past_an_engine_alarm_id(live: Live) -> None:
    # The cursor names the last alarm of a page: an engine id (with "|" and "/") must come back as a valid cursor.
    template = live.store.alarms.get("alarm-in")
    for i in range(3):
        subject = f"ra-a-in/ra-cp-in-{i}"
        engine_id = alarm_id(template.rule, subject, template.created_at)
        live.store.alarms.put(replace(template, id=engine_id, subject=subject, version=0), expected_version=None)
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        page = live.get(Role.ADMIN, "/alarms?limit=1" + (f"&cursor={quote(cursor, safe='')}" if cursor else ""))
        assert page.status == 200, page
        seen += [a["id"] for a in page.json["items"]]
        cursor = page.json["next_cursor"] or ""
        if not cursor:
            break
    assert sum("|" in i for i in seen) == 3 and len(seen) == len(set(seen))
