"""The DynamoDB Local harness: one JVM per session, loopback only, speaking the DynamoDB API."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import boto3
import pytest

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
