"""Cross-suite fixtures: the DynamoDB back ends (moto environment, one DynamoDB Local per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import dynamodb_local

# Fake credentials and region for moto and DynamoDB Local; never real AWS.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "cn-north-1",
    "AWS_REGION": "cn-north-1",
    # botocore 1.44 routes some DynamoDB calls to account-based endpoints moto does not serve.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point boto at fake credentials so nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def dynamodb_local_url() -> Iterator[str]:
    """URL of DynamoDB Local: $DYNAMODB_LOCAL_URL, or one in-memory JVM started once per session."""
    instance = dynamodb_local.start()
    try:
        yield instance.url
    finally:
        instance.stop()


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """With `--dist loadscope` (make pytest), every module is a unit, except tests/infra, which is one: its tests
    share the session's synthesis of every stage (tests/infra/conftest.py `synthesized`), made once, not per worker."""
    if config.getoption("dist", None) != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class InfraTogether(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no type hints
        def _split_scope(self, nodeid: str) -> str:
            return "tests/infra" if nodeid.startswith("tests/infra/") else super()._split_scope(nodeid)

    return InfraTogether(config, log)
