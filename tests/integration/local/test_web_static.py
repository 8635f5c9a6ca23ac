"""The dashboard's files served beside the API on one socket: types, fallback, cache headers, no traversal."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.web_static import StaticSite
from monitoring.storage.sqlite import open_store
from tests.support.api import ApiClient, api_settings, serve


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiClient, Path]]:
    tmp = Path(tmp_path_factory.mktemp("web"))
    dist = tmp / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>监管平台</title>", encoding="utf-8")
    (dist / "assets" / "index-Ab12.js").write_text("console.log(1)", encoding="utf-8")
    (dist / "assets" / "index-Ab12.css").write_text("body{}", encoding="utf-8")
    (dist / ".env").write_text("SECRET=1", encoding="utf-8")
    (tmp / "secret.txt").write_text("outside", encoding="utf-8")
    store = open_store(str(tmp / "api.db"))
    try:
        with serve(store, api_settings(), site=StaticSite(dist)) as client:
            yield client, tmp
    finally:
        store.close()


def _get(client: ApiClient, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Raw request: the path goes on the wire exactly as written (no client-side normalising)."""
    conn = http.client.HTTPConnection(client.host, client.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.putheader("Content-Length", "0")
        conn.endheaders()
        reply = conn.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        conn.close()


def test_index_and_client_routes_get_the_page_uncached(site: tuple[ApiClient, Path]) -> None:
    client, _ = site
    for path in ("/", "/alarms", "/alarms/A1?state=pending", "/enterprises/E-1/"):
        status, headers, body = _get(client, path)
        assert status == 200, path
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "no-cache"
        assert "监管平台" in body.decode()


def test_hashed_assets_have_their_type_and_a_long_cache(site: tuple[ApiClient, Path]) -> None:
    client, _ = site
    status, headers, body = _get(client, "/assets/index-Ab12.js")
    assert (status, headers["content-type"], body) == (200, "text/javascript; charset=utf-8", b"console.log(1)")
    assert "immutable" in headers["cache-control"] and headers["x-content-type-options"] == "nosniff"
    status, headers, _ = _get(client, "/assets/index-Ab12.css")
    assert (status, headers["content-type"]) == (200, "text/css; charset=utf-8")


def test_a_missing_asset_is_404_not_the_page(site: tuple[ApiClient, Path]) -> None:
    client, _ = site
    assert _get(client, "/assets/gone-123.js")[0] == 404
    assert _get(client, "/favicon.ico")[0] == 404


@pytest.mark.parametrize(
    "path",
    ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/assets/%2E%2E/%2e%2e/secret.txt",
     "/..%2fsecret.txt", "/.env", "/%2eenv", "/assets/..%5c..%5csecret.txt", "/index.html%00.js"],
)  # fmt: skip
def test_nothing_outside_the_folder_or_hidden(site: tuple[ApiClient, Path], path: str) -> None:
    client, _ = site
    status, _, body = _get(client, path)
    assert status in (400, 404), (path, status)
    assert b"outside" not in body and b"SECRET" not in body


def test_the_api_is_still_the_api(site: tuple[ApiClient, Path]) -> None:
    client, _ = site
    status, headers, body = _get(client, "/api/v1/health")
    assert status == 200 and headers["content-type"].startswith("application/json")
    status, headers, _ = _get(client, "/api/v1/no-such-route")
    assert status == 404 and headers["content-type"].startswith("application/json")
    status, _, _ = _get(client, "/api")
    assert status == 404  # the API's own 404, not the page


def test_writes_to_the_site_are_refused(site: tuple[ApiClient, Path]) -> None:
    client, _ = site
    status, headers, _ = _get(client, "/alarms", method="POST")
    assert status == 405 and headers["content-type"].startswith("application/json")


def test_an_unbuilt_site_says_so(tmp_path: Path) -> None:
    reply = StaticSite(tmp_path / "none").answer("/alarms")
    assert reply.status == 503 and "make web" in reply.body.decode()
