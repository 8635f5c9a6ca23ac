"""Lambda entry behind API Gateway's one `{proxy+}` resource: find the Chalice route of the path, then run the app.

Chalice dispatches on `requestContext.resourcePath`, which a proxy resource sets to `/{proxy+}`; the route is
matched here with Chalice's own matcher, as local/api_server.py does, and the dashboard's origin gets CORS headers.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from chalice.local import RouteMatcher

from miniprogram_api.app import app
from miniprogram_api.chalicelib import wiring
from miniprogram_api.chalicelib.errors import ApiError

_matcher = RouteMatcher(list(app.routes))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway (REST, Lambda proxy integration) event → the app's answer."""
    try:
        match = _matcher.match_route(str(event.get("path") or "/"))
    except ValueError:
        response = _error(ApiError(404, "not_found", "接口不存在"))
    else:
        routed = dict(event)
        routed["requestContext"] = {**(event.get("requestContext") or {}), "resourcePath": match.route}
        routed["pathParameters"] = {k: unquote(v) for k, v in match.captured.items()} or None
        response = app(routed, context)
    return _with_cors(event, response)


def _error(error: ApiError) -> dict[str, Any]:
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json; charset=utf-8"},
        "body": json.dumps(error.body(), ensure_ascii=False),
        "isBase64Encoded": False,
    }


def _with_cors(event: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """Allow the configured dashboard origin to read the answer (preflight is answered by API Gateway)."""
    allowed = wiring.services().settings.cors_origin
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if allowed and headers.get("origin") == allowed:
        response["headers"] = {
            **(response.get("headers") or {}),
            "Access-Control-Allow-Origin": allowed,
            "Access-Control-Expose-Headers": "ETag, Location, Retry-After",
            "Vary": "Origin",
        }
    return response
