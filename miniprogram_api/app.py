"""Chalice's entry point: the app, its blueprints under /api/v1, and errors in the API's one shape."""

from __future__ import annotations

import json
import threading
from typing import Any

from chalice.app import Chalice, Request

from miniprogram_api.chalicelib.errors import ApiError
from miniprogram_api.chalicelib.routes import register

# Chalice's own answers (405 unsupported method, a 500 it caught) rewritten to `{code, message, field}`.
_CHALICE_ERRORS = {
    400: ("bad_request", "请求格式错误"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "接口不存在"),
    405: ("method_not_allowed", "不支持的请求方法"),
    413: ("payload_too_large", "请求体过大"),
    415: ("unsupported_media_type", "请求体类型不支持"),
    500: ("internal_error", "服务器内部错误"),
}


class ApiApp(Chalice):
    """Chalice with the request kept per thread (the local server runs requests concurrently; Lambda runs one)."""

    _local = threading.local()

    @property
    def current_request(self) -> Request | None:
        return getattr(self._local, "request", None)

    @current_request.setter
    def current_request(self, value: Request | None) -> None:
        self._local.request = value

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        response = super().__call__(event, context)
        status = int(response.get("statusCode", 500))
        if status >= 400 and not _is_api_error(response.get("body")):
            code, message = _CHALICE_ERRORS.get(status, ("error", "请求失败"))
            error = ApiError(status, code, message)
            response["body"] = json.dumps(error.body(), ensure_ascii=False)
            response["headers"] = {**response.get("headers", {}), "Content-Type": "application/json; charset=utf-8"}
        return response


def _is_api_error(body: Any) -> bool:
    if not isinstance(body, str):
        return False
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and {"code", "message", "field"} <= value.keys()


app = ApiApp(app_name="gongkuang-api")
app.api.binary_types.extend(["image/jpeg", "image/png", "image/webp", "multipart/form-data"])
# The compliance report download (routes/emergency.py).
app.api.binary_types.append("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
app.api.binary_types.append("application/zip")  # evidence packages (routes/evidence.py)
register(app)
