"""The API over a real loopback socket on sqlite, with the test county and one signed-in account per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.wechat_stub import WeChatStub
from miniprogram_api.chalicelib.sms import LogSmsSender
from monitoring.accounts.models import Role
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.integration.miniprogram_api.world import PASSWORD, World, build_world
from tests.support.api import ApiClient, api_settings, serve, wechat_stub


@dataclass
class Api:
    client: ApiClient
    world: World
    tokens: dict[Role, str]
    wechat: WeChatStub
    sms: LogSmsSender
    store: Store

    def token(self, role: Role) -> str:
        return self.tokens[role]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One server per test module; tests that change shared objects make their own (see test_auth.py)."""
    path = Path(tmp_path_factory.mktemp("api")) / "api.db"
    store = open_store(str(path))
    try:
        world = build_world(store)
        sms = LogSmsSender()
        with (
            wechat_stub() as wechat,
            serve(
                store,
                api_settings(str(path), login_rate_per_minute=6000, login_burst=1000, wechat_base_url=wechat.base_url),
                sms=sms,
            ) as client,
        ):
            tokens = {}
            for role, account in world.accounts.items():
                reply = client.post("/auth/login", json_body={"login": account.username, "password": PASSWORD})
                assert reply.status == 200, reply
                tokens[role] = reply.json["access_token"]
            yield Api(client, world, tokens, wechat, sms, store)
    finally:
        store.close()
