"""About the API itself: its OpenAPI document."""

from __future__ import annotations

import json

from chalice.app import Response

from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.openapi import document

routes = ApiBlueprint("meta")


@routes.route("GET", "/openapi.json", action="openapi.read", summary="接口文档（OpenAPI 3.1）", public=True)
def openapi(ctx: RequestContext) -> Response:
    body = json.dumps(document(), ensure_ascii=False)
    return Response(body=body, status_code=200, headers={"Content-Type": "application/json; charset=utf-8"})
