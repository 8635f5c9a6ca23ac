"""About the API itself: its OpenAPI document, and a health check for load balancers and the dashboard."""

from __future__ import annotations

import json
from typing import Literal

from chalice.app import Response
from pydantic import Field

from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime
from miniprogram_api.chalicelib.openapi import document

routes = ApiBlueprint("meta")


@routes.route("GET", "/openapi.json", action="openapi.read", summary="接口文档（OpenAPI 3.1）", public=True)
def openapi(ctx: RequestContext) -> Response:
    body = json.dumps(document(), ensure_ascii=False)
    return Response(body=body, status_code=200, headers={"Content-Type": "application/json; charset=utf-8"})


class HealthOut(ApiModel):
    status: Literal["ok"] = "ok"
    time: BeijingTime = Field(description="平台当前时间（北京时间）")
    rate: float = Field(description="平台时钟的倍速：真实时间每过 1 秒平台时间过 rate 秒（演示加速时大于 1）")


@routes.route("GET", "/health", action="health.read", summary="健康检查（无需登录）", response=HealthOut, public=True)
def health(ctx: RequestContext) -> HealthOut:
    # An accelerated demo clock (local.clock.PlatformClock) says its rate; every other clock runs at 1.
    rate = getattr(ctx.services.clock, "accel", 1.0)
    return HealthOut(time=ctx.now, rate=rate if isinstance(rate, int | float) and rate > 0 else 1.0)
