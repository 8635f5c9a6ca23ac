"""The local API server's edges: the client's address behind a trusted reverse proxy (X-Forwarded-For, believed
from nobody else), the built dashboard served beside the API, nothing outside its directory, and a listen
backlog that holds a burst of new connections."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.api_server import ApiHttpServer
from miniprogram_api.app import app
from tests.support.api import ApiClient


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


@pytest.fixture
def web(tmp_path: Path) -> Iterator[ApiClient]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>监管平台</html>", encoding="utf-8")
    (dist / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    (dist / "assets" / "index-Ab12cd.css").write_text("body{}", encoding="utf-8")
    (dist / "favicon.svg").write_text("<svg/>", encoding="utf-8")
    (dist / ".build-stamp").write_text("stamp", encoding="utf-8")
    (dist / ".env").write_text("do not serve", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("do not serve", encoding="utf-8")
    (dist / "assets" / "escape.txt").symlink_to(tmp_path / "secret.txt")
    server = ApiHttpServer(app, "127.0.0.1", 0, static_dir=dist)
    server.start()
    try:
        yield ApiClient(f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.stop()


@pytest.mark.integration
def test_the_dashboard_is_served_beside_the_api_and_nothing_outside_it(web: ApiClient) -> None:
    index = web.get("/")
    assert index.status == 200 and "监管平台" in index.body.decode() and index.headers["cache-control"] == "no-cache"
    asset = web.get("/assets/app.js")
    assert asset.status == 200 and asset.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    assert web.get("/alarms/123").body == index.body  # a client-side route gets the page
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/assets/escape.txt",
                 "/assets/missing.js", "/%00"):  # fmt: skip
        reply = web.get(path)
        assert reply.status == 404 and b"do not serve" not in reply.body, path
    api = web.get("/api/v1/nowhere")
    assert (api.status, api.json["code"]) == (404, "not_found")


@pytest.mark.integration
def test_hashed_assets_are_cached_for_good_and_the_page_never(web: ApiClient) -> None:
    css = web.get("/assets/index-Ab12cd.css")
    assert css.status == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    icon = web.get("/favicon.svg")  # not hashed: an hour
    assert icon.status == 200 and icon.headers["cache-control"] == "public, max-age=3600"
    for path in ("/", "/alarms?state=pending", "/index.html"):
        assert web.get(path).headers["cache-control"] == "no-cache", path


@pytest.mark.integration
def test_dot_files_are_not_served(web: ApiClient) -> None:
    for path in ("/.env", "/.build-stamp", "/%2eenv", "/assets/../.env"):
        reply = web.get(path)
        assert reply.status == 404 and b"do not serve" not in reply.body and b"stamp" not in reply.body, path


@pytest.mark.integration
def test_a_burst_of_new_connections_waits_in_the_backlog_instead_of_losing_its_syn() -> None:
    # The server is listening but not yet accepting (as when its threads are busy): the kernel completes only as
    # many handshakes as the backlog holds; beyond it a SYN is dropped and retried after 1 s.
    server = ApiHttpServer(app, "127.0.0.1", 0)
    sockets: list[socket.socket] = []
    try:
        for _ in range(40):
            try:
                sockets.append(socket.create_connection(server.server_address[:2], timeout=0.5))
            except TimeoutError:
                break
    finally:
        for s in sockets:
            s.close()
        server.server_close()
    assert len(sockets) == 40, f"only {len(sockets)} connections got through the handshake"


@pytest.mark.integration
def test_answers_are_not_held_back_by_nagle(tmp_path: Path) -> None:
    # The head and the body are two writes: with Nagle on, the body waits for the client's delayed ACK (40 ms).
    seen: list[int] = []

    class Recording(ApiHttpServer):
        def finish_request(self, request: Any, client_address: Any) -> None:
            super().finish_request(request, client_address)
            seen.append(request.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    (tmp_path / "index.html").write_text("<html></html>", encoding="utf-8")
    server = Recording(app, "127.0.0.1", 0, static_dir=tmp_path)
    server.start()
    try:
        reply = ApiClient(f"http://127.0.0.1:{server.server_address[1]}/").get("/")
    finally:
        server.stop()
    assert reply.status == 200
    assert seen and all(seen)
