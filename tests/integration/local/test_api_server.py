"""Behind a trusted reverse proxy the client's address comes from X-Forwarded-For; from anyone else it is ignored."""

from __future__ import annotations

import pytest

from local.api_server import ApiHttpServer
from miniprogram_api.app import app


@pytest.fixture
def server() -> ApiHttpServer:
    made = ApiHttpServer(app, "127.0.0.1", 0, trusted_proxies=["10.0.0.5", "10.0.0.6"])
    made.server_close()  # only client_ip is used
    return made


@pytest.mark.integration
def test_client_address_behind_trusted_proxies(server: ApiHttpServer) -> None:
    assert server.client_ip("10.0.0.5", "203.0.113.7") == "203.0.113.7"
    assert server.client_ip("10.0.0.5", "198.51.100.1, 203.0.113.7, 10.0.0.6") == "203.0.113.7"  # spoofed first hop
    assert server.client_ip("10.0.0.5", "not-an-ip") == "10.0.0.5"
    assert server.client_ip("10.0.0.5", None) == "10.0.0.5"


@pytest.mark.integration
def test_an_untrusted_peer_cannot_choose_its_address(server: ApiHttpServer) -> None:
    assert server.client_ip("203.0.113.9", "127.0.0.1") == "203.0.113.9"
