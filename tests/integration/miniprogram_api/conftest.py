"""The API over a real loopback socket on sqlite, with the test county and one signed-in account per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.wechat_stub import WeChatStub
from miniprogram_api.chalicelib.sms import LogSmsSender
from monitoring.accounts.models import Role
from monitoring.storage.photo_blobs.local import LocalPhotoBlobs
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.conftest import FAKE_AWS_ENV
from tests.integration.miniprogram_api.world import PASSWORD, World, build_world
from tests.support.api import ApiClient, api_settings, serve, wechat_stub
from tests.support.dynamodb_tables import fresh_backend


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


@contextmanager
def _sqlite(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Store]:
    store = open_store(str(tmp / "api.db"))
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _dynamodb_local(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Store]:
    """Fresh tables on the session's DynamoDB Local (fake credentials, never AWS), dropped afterwards."""
    url = request.getfixturevalue("dynamodb_local_url")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS_ENV.items():
            patch.setenv(name, value)
        with fresh_backend(url, "api", region=FAKE_AWS_ENV["AWS_REGION"]) as backend:
            yield backend.store()


BACKENDS = [
    pytest.param(_sqlite, id="sqlite"),
    pytest.param(_dynamodb_local, id="dynamodb", marks=pytest.mark.slow),
]


@contextmanager
def running_api(request: pytest.FixtureRequest, tmp: Path, backend: Callable[..., Any] = _sqlite) -> Iterator[Api]:
    """The API on `backend` with the test county, the WeChat stub and one signed-in account per role."""
    with backend(request, tmp) as store:
        world = build_world(store)
        photo_dir = tmp / "photos"
        for photo_id, data in world.extra.get("photo_bytes", {}).items():  # routes-field: the photos' bytes
            LocalPhotoBlobs(photo_dir).put(photo_id, data, "image/jpeg")
        sms = LogSmsSender()
        settings = api_settings(login_rate_per_minute=6000, login_burst=1000, photo_dir=str(photo_dir))
        with (
            wechat_stub() as wechat,
            serve(store, settings.model_copy(update={"wechat_base_url": wechat.base_url}), sms=sms) as client,
        ):
            tokens = {}
            for role, account in world.accounts.items():
                reply = client.post("/auth/login", json_body={"login": account.username, "password": PASSWORD})
                assert reply.status == 200, reply
                tokens[role] = reply.json["access_token"]
            yield Api(client, world, tokens, wechat, sms, store)


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API over a real socket on each backend (sqlite; DynamoDB Local, marked slow), one per test module."""
    with running_api(request, Path(tmp_path_factory.mktemp("api")), request.param) as running:
        yield running
