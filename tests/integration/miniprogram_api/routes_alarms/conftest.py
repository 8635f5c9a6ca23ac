"""The API on a real loopback socket on sqlite with a clock the test moves, for the alarms area's route tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitoring.accounts.models import Role
from monitoring.clock import FixedClock
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.contract.storage.dynamodb_adapters import dynamodb_local_store
from tests.integration.miniprogram_api.world import PASSWORD, World, build_world
from tests.support.api import ApiClient, Reply, api_settings, serve


@dataclass
class Live:
    client: ApiClient
    world: World
    clock: FixedClock
    store: Store

    def token(self, role: Role) -> str:
        """A fresh sign-in (the clock may have moved past the last token's 15 minutes)."""
        account = self.world.accounts[role]
        reply = self.client.post("/auth/login", json_body={"login": account.username, "password": PASSWORD})
        assert reply.status == 200, reply
        return str(reply.json["access_token"])

    def get(self, role: Role, path: str, **query: Any) -> Reply:
        return self.client.get(path, token=self.token(role), query=query or None)

    def post(self, role: Role, path: str, body: dict[str, Any] | None) -> Reply:
        return self.client.post(path, token=self.token(role), json_body=body)


def _sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    store = open_store(str(tmp_path / "api.db"))
    try:
        yield store
    finally:
        store.close()


def _dynamodb_local(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    yield from dynamodb_local_store(tmp_path, FixedClock(datetime.now(UTC)), request)


@pytest.fixture(params=[_sqlite, _dynamodb_local], ids=["sqlite", "dynamodb_local"])
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Live]:
    """The API on each backend: sqlite, and the session's DynamoDB Local (tables of this test only)."""
    stores = request.param(tmp_path, request)
    store = next(stores)
    try:
        world = build_world(store)  # its objects are dated from the real clock, just before the test's clock
        clock = FixedClock(datetime.now(UTC))
        settings = api_settings(str(tmp_path / "unused.db"), login_rate_per_minute=6000, login_burst=1000)
        with serve(store, settings, clock=clock) as client:
            yield Live(client, world, clock, store)
    finally:
        next(stores, None)
