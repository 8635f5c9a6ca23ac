"""Injection and traversal strings in every query parameter and every path parameter of every route (walked from
the declared routes, so new routes are covered as they appear): a clear 4xx in the error shape, never a 5xx."""

from __future__ import annotations

import pytest

from miniprogram_api.app import app  # noqa: F401 - importing the app declares every route
from miniprogram_api.chalicelib.framework import ROUTES, RouteSpec
from monitoring.accounts.models import Role
from tests.integration.miniprogram_api.conftest import Api

pytestmark = pytest.mark.integration
HOSTILE = (
    "' OR '1'='1",
    "1; DROP TABLE accounts; --",
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "%00",
    "\u202e\u0000",
    "９９９",
    "x" * 5000,
    "-1",
    "1e309",
)


def _queried(spec: RouteSpec) -> list[str]:
    return list(spec.query.model_fields) if spec.query is not None else []


@pytest.mark.parametrize("spec", [s for s in ROUTES if s.query is not None], ids=lambda s: f"{s.method} {s.path}")
def test_hostile_query_values_are_refused_cleanly(api: Api, spec: RouteSpec) -> None:
    path = spec.path.removeprefix("/api/v1")
    for name in spec.path_params:
        path = path.replace("{" + name + "}", api.world.inside.get(name, "x"))
    for param in _queried(spec):
        for value in HOSTILE:
            reply = api.client.request(spec.method, path, token=api.token(Role.ADMIN), query={param: value})
            assert reply.status < 500, (param, value, reply)
            if reply.status >= 400:
                assert set(reply.json) == {"code", "message", "field"}, reply


@pytest.mark.parametrize("spec", [s for s in ROUTES if s.path_params], ids=lambda s: f"{s.method} {s.path}")
def test_hostile_path_values_are_404_or_422(api: Api, spec: RouteSpec) -> None:
    from urllib.parse import quote

    for value in HOSTILE:
        path = spec.path.removeprefix("/api/v1")
        for name in spec.path_params:
            path = path.replace("{" + name + "}", quote(value, safe=""))
        reply = api.client.request(spec.method, path, token=api.token(Role.ADMIN), json_body={} if spec.body else None)
        assert reply.status in (404, 422), (value, reply)
        assert set(reply.json) == {"code", "message", "field"}, reply
