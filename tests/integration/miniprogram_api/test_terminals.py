"""Terminals over HTTP with a real listener and a simulated terminal on the same sqlite store: an unregistered
terminal is listed, bound, then authenticates on its open connection; commands reach it and report back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iot_ingest import auth_cache
from monitoring.accounts.models import Role
from monitoring.clock import SystemClock
from monitoring.ingest.decode import decode_records
from monitoring.profiles.loader import load_profiles
from monitoring.registry.terminal import verify_password
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.integration.miniprogram_api.field_rig import FieldRig, wait_for
from tests.integration.miniprogram_api.field_world import bind_point_id
from tests.integration.miniprogram_api.world import PASSWORD, World, build_world
from tests.support.api import ApiClient, api_settings, serve

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
NEW_MN = "010000A8900016F000169DC0"
NEW_PW = "654321"


@dataclass
class Field:
    client: ApiClient
    world: World
    store: Store
    rig: FieldRig
    tokens: dict[Role, str]

    def get(self, path: str, role: Role = Role.INSTALLER, **kw: Any) -> tuple[int, Any]:
        reply = self.client.get(path, token=self.tokens[role], **kw)
        return reply.status, reply.json

    def post(self, path: str, body: object, role: Role = Role.INSTALLER) -> tuple[int, Any]:
        reply = self.client.post(path, token=self.tokens[role], json_body=body)
        return reply.status, reply.json


@pytest.fixture(scope="module")
def field(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    mp = pytest.MonkeyPatch()
    mp.setattr(auth_cache, "UNREGISTERED_RECHECK_S", 0.3)  # ask the directory again soon after binding
    path = Path(tmp_path_factory.mktemp("field")) / "api.db"
    store = open_store(str(path))
    rig = FieldRig(store)
    try:
        world = build_world(store)
        settings = api_settings(str(path), login_rate_per_minute=6000, login_burst=1000,
                                photo_dir=str(path.parent / "photos"))  # fmt: skip
        with serve(store, settings) as client:
            tokens = {}
            for role, account in world.accounts.items():
                reply = client.post("/auth/login", json_body={"login": account.username, "password": PASSWORD})
                tokens[role] = reply.json["access_token"]
            rig.start()
            yield Field(client, world, store, rig, tokens)
    finally:
        rig.stop()
        store.close()
        mp.undo()


def _auths(field: Field, mn: str) -> list[str]:
    return [r["auth"] for r in field.rig.records(mn)]


def test_unregistered_terminal_is_listed_bound_and_then_authenticates(field: Field) -> None:
    # Given a new terminal wired on site, sending data before anyone registered it
    field.rig.connect(NEW_MN, NEW_PW)
    assert wait_for(lambda: len(_auths(field, NEW_MN)) >= 2), "no frames reached the listener"
    assert set(_auths(field, NEW_MN)) == {"unregistered"}
    decode_records(field.rig.records(NEW_MN), field.store, SystemClock(), load_profiles())  # the decode worker
    # When the installer looks for it
    status, listed = field.get("/unregistered-terminals")
    assert status == 200
    (found,) = [u for u in listed["items"] if u["mn"] == NEW_MN]
    assert found["frames"] >= 2 and found["peer"].startswith("127.0.0.1:") and found["last_seen"].endswith("+08:00")
    # and binds it to a point of its enterprise, registering it with its password
    point_id = bind_point_id(Role.TOWN, "in")  # a free point of ent-in
    body = {"point_id": point_id, "point_version": 1, "channel": "01", "ct_ratio": 150.0, "password": NEW_PW}
    status, bound = field.post(f"/terminals/{NEW_MN}/binding", body)
    assert status == 200, bound
    assert bound["created_terminal"] is True and bound["point"]["ct_ratio"] == 150.0
    assert bound["terminal"]["enterprise_id"] == "ent-in"
    # what it sent before, with the password now on file, became readings of the point (early data kept)
    assert bound["early_frames_decoded"] >= 2, bound
    assert field.store.readings.latest_all_kinds(point_id), "no readings from the early frames"
    # Then its frames on the same, still open connection authenticate
    before = len(_auths(field, NEW_MN))
    assert wait_for(lambda: "ok" in _auths(field, NEW_MN)[before:]), _auths(field, NEW_MN)
    # and it leaves the list of unregistered MNs
    status, listed = field.get("/unregistered-terminals")
    assert NEW_MN not in [u["mn"] for u in listed["items"]]
    # the installer now sees it, online with its point
    status, shown = field.get(f"/terminals/{NEW_MN}")
    assert status == 200 and [p["point_id"] for p in shown["points"]] == [point_id]
    # binding the same point again with the old version is a conflict
    status, error = field.post(f"/terminals/{NEW_MN}/binding", {**body, "password": None, "channel": "02"})
    assert status == 409 and error["code"] == "conflict"


def _command_done(field: Field, command_id: str) -> dict[str, Any]:
    holder: dict[str, Any] = {}

    def finished() -> bool:
        status, shown = field.get(f"/commands/{command_id}")
        holder.update(shown)
        return status == 200 and holder["state"] in ("done", "failed", "timed_out")

    assert wait_for(finished, 30), holder
    return holder


def test_command_reaches_the_terminal_and_its_status_comes_back(field: Field) -> None:
    if field.store.registry.find_terminal(NEW_MN) is None:
        pytest.skip("needs the terminal bound by the test above")
    # When the installer asks the terminal for its time
    status, queued = field.post(f"/terminals/{NEW_MN}/commands", {"kind": "get_time"})
    assert status == 201 and queued["state"] == "queued" and queued["cn"] == "1011", queued
    # Then it is sent over TCP, answered 9011/1011/9012, and shown done with the terminal's time
    done = _command_done(field, queued["command_id"])
    assert done["state"] == "done" and done["state_name"] == "已完成", done
    assert "SystemTime" in str(done["result"]) and done["attempts"] == 1
    status, page = field.get(f"/terminals/{NEW_MN}/commands", query={"limit": 5})
    assert page["items"][0]["command_id"] == queued["command_id"]


def test_password_change_reaches_the_terminal_and_the_registry(field: Field) -> None:
    if field.store.registry.find_terminal(NEW_MN) is None:
        pytest.skip("needs the terminal bound by the test above")
    status, queued = field.post(
        f"/terminals/{NEW_MN}/commands", {"kind": "set_password", "args": {"new_password": "A1b2C3"}}
    )
    assert status == 201 and queued["params"] == {"NewPW": "******"}, queued
    done = _command_done(field, queued["command_id"])
    assert done["state"] == "done", done
    # the listener settles the registry right after it records the outcome
    assert wait_for(lambda: field.store.registry.get_terminal(NEW_MN).next_password_hash is None)
    terminal = field.store.registry.get_terminal(NEW_MN)
    assert verify_password(terminal, "A1b2C3") and not verify_password(terminal, NEW_PW)
    assert field.rig.terminals[NEW_MN].password == "A1b2C3"
    # and the terminal's frames with its new password are still accepted
    before = len(_auths(field, NEW_MN))
    assert wait_for(lambda: len(_auths(field, NEW_MN)) >= before + 2)
    assert "auth_failed" not in _auths(field, NEW_MN)[before:]


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ({"kind": "format_disk"}, "kind"),
        ({"kind": "set_realtime_interval", "args": {"seconds": 5}}, None),
        ({"kind": "set_password", "args": {"new_password": "a;b=c"}}, None),
        ({"kind": "get_time", "ttl_minutes": 0}, "ttl_minutes"),
        ({"kind": "set_time", "args": {"system_time": "2026-13-01T00:00:00+08:00"}}, "args.system_time"),
        ({"kind": "set_time", "args": {"system_time": {"$gt": ""}}}, None),
        ({"kind": "set_time", "args": {"system_time": "2026-12-01T08:00:00"}}, None),  # no offset
        ({"kind": "get_time", "args": ["x"]}, "args"),
        ({"kind": "read_recent_minutes", "args": {"minutes": 1e308}}, None),
    ],
)
def test_bad_commands_are_422(field: Field, body: dict[str, object], field_name: str | None) -> None:
    status, error = field.post(f"/terminals/{field.world.inside['mn']}/commands", body)
    assert status == 422, error
    if field_name:
        assert error["field"] == field_name


def test_binding_by_point_code_and_its_bad_inputs(field: Field) -> None:
    mn, code = "MNCODE0001", "CODE-in-viewer"  # a free point of ent-in, named by its code as scanned on site
    body = {"point_code": code, "point_version": 1, "channel": "03", "password": "abc123"}
    status, bound = field.post(f"/terminals/{mn}/binding", body, Role.ADMIN)
    assert status == 200 and bound["point"]["point_code"] == code, bound
    for bad, expected in (
        ({"point_version": 1}, 422),  # neither id nor code
        ({"point_id": "pt-in", "point_code": code, "point_version": 1}, 422),  # both
        ({"point_code": "CODE-out-viewer", "point_version": 1, "password": "abc123"}, 404),  # outside scope
        ({"point_id": "pt-bind-in-viewer", "point_version": 1, "ct_ratio": "NaN"}, 422),
        ({"point_id": "pt-bind-in-viewer", "point_version": 1, "channel": "01;DROP TABLE"}, 422),
    ):
        status, error = field.post("/terminals/MNCODE0002/binding", bad, Role.INSTALLER)
        assert status == expected, (bad, error)


def test_scope_hides_other_enterprises_terminals(field: Field) -> None:
    status, page = field.get("/terminals", Role.ENTERPRISE)
    assert status == 200 and "MNOUT0001" not in [t["mn"] for t in page["items"]]
    assert field.get("/terminals/MNOUT0001", Role.ENTERPRISE)[0] == 404
    assert field.get("/commands/cmd-out", Role.INSTALLER)[0] == 404
    assert field.get("/terminals/MNOUT0001", Role.VIEWER)[0] == 200
    status, page = field.get("/terminals", Role.VIEWER, query={"enterprise_id": "ent-out"})
    assert [t["mn"] for t in page["items"]] == ["MNOUT0001"]
    assert field.get("/terminals", Role.TOWN, query={"enterprise_id": "ent-out"})[0] == 404
    for bad in ({"online": "maybe"}, {"limit": 0}, {"cursor": "!!"}, {"enterprise_id": "x' OR 1=1 --"}):
        assert field.get("/terminals", Role.ADMIN, query=bad)[0] == 422, bad
