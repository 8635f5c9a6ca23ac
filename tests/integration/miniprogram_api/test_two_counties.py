"""Two counties on one store: a county-wide account of one never sees the other's alarms, fault reports or
stoppage requests — lists, filters and detail routes, over the real socket, on sqlite and DynamoDB Local."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.accounts.models import Role
from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.registry.models import Branch, County, Enterprise, EnterpriseCategory, Town
from monitoring.reports.models import FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.storage.ports import Store
from tests.integration.miniprogram_api.conftest import BACKENDS, Api, running_api
from tests.integration.miniprogram_api.world import PASSWORD

OTHER = "haian"  # the world's foreign viewer account ("other_county") is of this county


def _add_other_county(store: Store, now: datetime) -> None:
    reg = store.registry
    reg.put_county(County(OTHER, "海安市"))
    reg.put_town(Town("town-haian", OTHER, "海安镇"))
    reg.put_branch(Branch("branch-haian", OTHER, "海安分局"))
    reg.put_enterprise(
        Enterprise(
            enterprise_id="ent-haian",
            county_id=OTHER,
            name="海安企业",
            town_id="town-haian",
            branch_id="branch-haian",
            category=EnterpriseCategory.AIR_CONTROL,
        )
    )
    created = now - timedelta(minutes=20)
    episode = Episode(created - timedelta(minutes=10), None, {"thresholds": {}}, {})
    alarm = Alarm(
        "alarm-haian", "control_stopped", "ha/cp", "ent-haian", "high", AlarmState.PENDING, (episode,), created, created
    )
    store.alarms.put(alarm, expected_version=None)
    start = now - timedelta(hours=1)
    store.reports.put_fault(FaultReport("fault-haian", "ent-haian", FaultKind.MONITORING, (), start, now, "s", "断电"))
    store.reports.put_stoppage(
        StoppageRequest(
            "stop-haian",
            "ent-haian",
            StoppageKind.CONTROL_STOP,
            (),
            now + timedelta(days=1),
            now + timedelta(days=2),
            "检修",
            now,
            "s",
        )
    )


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(request, Path(tmp_path_factory.mktemp("two")), request.param) as running:
        _add_other_county(running.store, datetime.now(UTC))
        yield running


def _other_token(api: Api) -> str:
    reply = api.client.post("/auth/login", json_body={"login": "other_county", "password": PASSWORD})
    assert reply.status == 200, reply
    return str(reply.json["access_token"])


LISTS = {"/alarms": "alarm", "/fault-reports": "fault", "/stoppage-requests": "stop"}


def _ids(api: Api, path: str, token: str) -> set[str]:
    reply = api.client.get(path, token=token, query={"limit": 100})
    assert reply.status == 200, reply
    assert reply.json["next_cursor"] is None
    return {item["id"] for item in reply.json["items"]}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ADMIN])
@pytest.mark.parametrize("path", list(LISTS))
def test_a_county_wide_account_lists_only_its_county(api: Api, role: Role, path: str) -> None:
    token = api.token(role)
    ids = _ids(api, path, token)
    prefix = LISTS[path]
    assert {f"{prefix}-in", f"{prefix}-out"} <= ids
    assert f"{prefix}-haian" not in ids
    # Naming the other county's enterprise does not reach it either.
    named = api.client.get(path, token=token, query={"enterprise_id": "ent-haian"})
    assert named.status == 200, named
    assert named.json["items"] == []


@pytest.mark.parametrize("path", list(LISTS))
def test_the_other_county_sees_its_own_and_nothing_of_the_first(api: Api, path: str) -> None:
    assert _ids(api, path, _other_token(api)) == {f"{LISTS[path]}-haian"}


@pytest.mark.parametrize("path", ["/alarms/alarm-haian", "/fault-reports/fault-haian", "/stoppage-requests/stop-haian"])
def test_another_countys_object_does_not_exist_for_a_county_wide_account(api: Api, path: str) -> None:
    reply = api.client.get(path, token=api.token(Role.VIEWER))
    assert reply.status == 404, reply
    assert api.client.get(path, token=_other_token(api)).status == 200
