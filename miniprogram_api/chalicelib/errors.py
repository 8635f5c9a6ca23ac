"""API errors: one JSON shape `{code, message, field}` with a stable code and a Chinese message, per HTTP status."""

from __future__ import annotations

from collections.abc import Mapping

from monitoring.accounts.errors import AccountInputError, AuthError, DuplicateError
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError, StorageUnavailableError


class ApiError(Exception):
    """An answer other than success; raised anywhere below a route, turned into its JSON body by the framework."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


def bad_request(message: str, field: str | None = None, code: str = "bad_request") -> ApiError:
    return ApiError(400, code, message, field)


def unauthenticated(message: str = "请先登录", code: str = "unauthenticated") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="gongkuang"'})


def forbidden(message: str = "当前角色无权执行此操作", code: str = "forbidden") -> ApiError:
    return ApiError(403, code, message)


def not_found(message: str = "对象不存在", code: str = "not_found", field: str | None = None) -> ApiError:
    return ApiError(404, code, message, field)


def conflict(
    message: str = "数据已被他人修改，请刷新后重试", code: str = "conflict", field: str | None = None
) -> ApiError:
    return ApiError(409, code, message, field)


def too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"请求体过大（上限 {limit} 字节）")


def invalid(message: str, field: str | None = None, code: str = "invalid_input") -> ApiError:
    return ApiError(422, code, message, field)


def rate_limited(
    retry_after_s: float, message: str = "请求过于频繁，请稍后再试", code: str = "rate_limited"
) -> ApiError:
    seconds = max(1, int(retry_after_s + 0.999))
    return ApiError(429, code, message, headers={"Retry-After": str(seconds)})


def unavailable() -> ApiError:
    return ApiError(503, "unavailable", "服务暂时不可用，请稍后重试", headers={"Retry-After": "5"})


INTERNAL = ApiError(500, "internal_error", "服务器内部错误")


def from_domain(exc: Exception) -> ApiError | None:
    """The answer for one of monitoring's errors (STYLE.md §7.4); None for anything else (a bug: 500)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, AuthError):
        return _auth(exc)
    if isinstance(exc, AccountInputError):
        return invalid(exc.message, exc.field, exc.code)
    if isinstance(exc, DuplicateError):
        return conflict(exc.message, "duplicate", exc.field)
    if isinstance(exc, NotFoundError):
        return not_found()
    if isinstance(exc, ConflictError):
        return conflict(_chinese(str(exc), "数据已被他人修改或与现有记录冲突，请刷新后重试"))
    if isinstance(exc, InvalidInputError):
        return invalid(_chinese(str(exc), "输入不正确"))
    if isinstance(exc, StorageUnavailableError):
        return unavailable()
    return None


# AuthError codes (monitoring.accounts.errors) → HTTP status; the code and message pass through unchanged.
_AUTH_STATUS = {"account_locked": 429, "sms_rate_limited": 429, "openid_taken": 409, "phone_not_registered": 422}
_AUTH_FIELD = {"phone_not_registered": "phone", "sms_code_invalid": "sms_code", "invitation_invalid": "invitation_code"}


def _auth(exc: AuthError) -> ApiError:
    status = _AUTH_STATUS.get(exc.code, 401)
    headers = {"Retry-After": str(max(1, exc.retry_after_s))} if exc.retry_after_s else {}
    return ApiError(status, exc.code, exc.message, _AUTH_FIELD.get(exc.code), headers)


def _chinese(text: str, fallback: str) -> str:
    """The domain's message when it is written for people (Chinese), else a generic Chinese one."""
    return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else fallback
