"""The OpenAPI 3.1 document, generated from the declared routes (framework.ROUTES) and their pydantic models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from miniprogram_api.chalicelib.framework import MULTIPART, ROUTES, RouteSpec
from miniprogram_api.chalicelib.models import ErrorBody

REF = "#/components/schemas/{model}"
ERRORS = {
    "400": "请求格式错误",
    "401": "未登录或登录已失效",
    "403": "无权执行此操作",
    "404": "对象不存在（或不在权限范围内）",
    "409": "数据冲突（版本过期或重复）",
    "413": "请求体过大",
    "415": "请求体类型不支持",
    "422": "输入校验失败",
    "429": "请求过于频繁",
    "500": "服务器内部错误",
    "503": "服务暂时不可用（稍后重试）",
}
Mode = Literal["validation", "serialization"]


def document(routes: Sequence[RouteSpec] = ROUTES, *, version: str = "1.0.0") -> dict[str, Any]:
    """The whole document, deterministic for a given set of routes."""
    wanted: list[tuple[type[BaseModel], Mode]] = [(ErrorBody, "serialization")]
    for spec in routes:
        wanted += [(m, "validation") for m in (spec.body, spec.query, spec.form) if m is not None]
        if spec.response is not None:
            wanted.append((spec.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    keys, top = models_json_schema(unique, ref_template=REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    error_ref = keys[(ErrorBody, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for spec in sorted(routes, key=lambda s: (s.path, s.method)):
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, keys, schemas, error_ref)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "工况用电监控平台 API",
            "version": version,
            "description": "小程序与监管平台共用的接口。时间均为北京时间 ISO 8601（+08:00）；列表按游标分页。",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }


def _operation(
    spec: RouteSpec, keys: dict[Any, Any], schemas: dict[str, Any], error_ref: dict[str, Any]
) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"},
        }
        for name in spec.path_params
    ]
    if spec.query is not None:
        params += _query_params(keys[(spec.query, "validation")], schemas)
    op: dict[str, Any] = {
        "operationId": spec.handler_name.replace(".", "_"),
        "summary": spec.summary,
        "tags": [spec.area],
        "parameters": params,
        "x-policy-action": spec.action,
    }
    if spec.description:
        op["description"] = spec.description
    if spec.public:
        op["security"] = []
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": keys[(spec.body, "validation")]}},
        }
    elif spec.raw_body_types:
        binary = {"schema": {"type": "string", "format": "binary"}}
        content = {t: binary for t in spec.raw_body_types}
        if spec.form is not None:  # a multipart form: its fields by name (files are strings of format binary)
            content[MULTIPART] = {"schema": keys[(spec.form, "validation")]}
        op["requestBody"] = {"required": True, "content": content}
    responses: dict[str, Any] = {}
    if spec.response is not None:
        content = {"application/json": {"schema": keys[(spec.response, "serialization")]}}
        responses[str(spec.status)] = {"description": "成功", "content": content}
    elif spec.response_media_type != "application/json" or spec.status == 200:
        media = {"schema": {"type": "string", "format": "binary"}}
        if spec.response_media_type == "application/json":
            media = {"schema": {"type": "object"}}
        responses[str(spec.status)] = {"description": "成功", "content": {spec.response_media_type: media}}
    else:
        responses[str(spec.status)] = {"description": "成功（无内容）"}
    for status, text in ERRORS.items():
        if spec.public and status == "403":  # public routes still answer 401 (a wrong password, a bad ticket)
            continue
        responses[status] = {"description": text, "content": {"application/json": {"schema": error_ref}}}
    op["responses"] = responses
    return op


def _query_params(ref: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    name = str(ref["$ref"]).rsplit("/", 1)[-1]
    model = schemas[name]
    required = set(model.get("required", ()))
    out = []
    for prop, schema in model.get("properties", {}).items():
        param: dict[str, Any] = {"name": prop, "in": "query", "required": prop in required, "schema": schema}
        if "description" in schema:
            param["description"] = schema["description"]
        if schema.get("type") == "array" or any(s.get("type") == "array" for s in schema.get("anyOf", ())):
            param["style"], param["explode"] = "form", True
        out.append(param)
    return out
