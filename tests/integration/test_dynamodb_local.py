"""The DynamoDB Local harness: one JVM per session, loopback only, speaking the DynamoDB API."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest

from tests.support import dynamodb_local

pytestmark = pytest.mark.integration


def _outward_address() -> str | None:
    """The IPv4 address of the default-route interface (a UDP connect sends no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        return str(probe.getsockname()[0])


def test_dynamodb_local_fixture_url_is_loopback_and_answers(dynamodb_local_url: str, fake_aws_env: None) -> None:
    # Given the session's DynamoDB Local
    parts = urlsplit(dynamodb_local_url)
    # When a client lists its tables
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local_url, region_name="cn-north-1")
    tables = client.list_tables()["TableNames"]
    # Then it answers, and it was reached over the loopback interface
    assert isinstance(tables, list)
    assert parts.hostname == "127.0.0.1"


def test_dynamodb_local_is_not_reachable_on_other_interfaces(dynamodb_local_url: str) -> None:
    # Given an address of this host that is not loopback (skip when the host has none)
    port = urlsplit(dynamodb_local_url).port
    address = _outward_address()
    if address is None or address.startswith("127."):
        pytest.skip("this host has no non-loopback IPv4 address")
    # When connecting there / Then the connection is refused (the JVM binds 127.0.0.1 only)
    with pytest.raises(OSError), socket.create_connection((address, port), timeout=2):
        pass


def test_dynamodb_local_start_without_install_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no DynamoDB Local under .tools and no URL in the environment
    monkeypatch.delenv(dynamodb_local.URL_ENV, raising=False)
    monkeypatch.setattr(dynamodb_local, "INSTALL_DIR", tmp_path / "missing")
    # When starting it / Then the error names the make target that installs it
    with pytest.raises(dynamodb_local.DynamoDBLocalError, match="make dynamodb-local"):
        dynamodb_local.start()


def test_dynamodb_local_url_from_environment_is_used_as_is(
    dynamodb_local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a running instance named by $DYNAMODB_LOCAL_URL
    monkeypatch.setenv(dynamodb_local.URL_ENV, dynamodb_local_url)
    # When starting / Then no process is launched and the URL is returned
    instance = dynamodb_local.start(startup_timeout=10)
    assert instance.url == dynamodb_local_url and instance.process is None
    instance.stop()  # a no-op for an external instance
