"""pydantic validation errors → one 422 `{code, message, field}` in Chinese (the first error; the field names where)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from miniprogram_api.chalicelib.errors import ApiError, invalid

# pydantic's error types (stable across 2.x) → a Chinese sentence; {…} from the error's ctx.
_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许的字段",
    "string_type": "须为字符串",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "finite_number": "须为有限数字",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "enum": "取值不在允许范围内（{expected}）",
    "literal_error": "取值不在允许范围内（{expected}）",
    "list_type": "须为数组",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "datetime_type": "须为带时区的 ISO 8601 时间",
    "datetime_parsing": "须为带时区的 ISO 8601 时间，例如 2026-12-01T08:00:00+08:00",
    "datetime_from_date_parsing": "须为带时区的 ISO 8601 时间，例如 2026-12-01T08:00:00+08:00",
    "timezone_aware": "时间须带时区",
    "date_type": "须为日期（YYYY-MM-DD）",
    "date_parsing": "须为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）",
    "string_unicode": "须为合法的 UTF-8 文本",
    "json_invalid": "不是合法的 JSON",
}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _message(error: Any) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "value_error":  # our own validators raise ValueError with a Chinese sentence
        text = str(ctx.get("error", ""))
        return text if _has_chinese(text) else "取值不正确"
    template = _MESSAGES.get(kind)
    if template is None:
        return "取值不正确"
    try:
        return template.format(**{k: v for k, v in ctx.items()})
    except (KeyError, IndexError, ValueError):
        return template.split("（")[0].split("{")[0] or "取值不正确"


def first_error(exc: ValidationError) -> ApiError:
    """The 422 for a failed model: the first error's field (dotted path) and a Chinese message naming it."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or None
    message = _message(error)
    return invalid(f"{where}: {message}" if where else message, where)


__all__ = ["ApiError", "first_error"]
