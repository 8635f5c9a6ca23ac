"""Shared pydantic types of the API: Beijing time, identifiers, the error body, cursor pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema

from monitoring._time import CHINA

T = TypeVar("T")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("时间须带时区，例如 2026-12-01T08:00:00+08:00")
    return value


def beijing_iso(value: datetime) -> str:
    """An instant as Beijing time, ISO 8601 with its +08:00 offset (seconds; microseconds only when present)."""
    return value.astimezone(CHINA).isoformat()


# Every time in a request or a response: input must carry an offset; output is always +08:00.
BeijingTime = Annotated[
    datetime,
    AfterValidator(_aware),
    PlainSerializer(beijing_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-01T08:00:00+08:00"]}),
]
# Identifiers as the registry writes them (monitoring.registry.models.check_id): no spaces, quotes or slashes.
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
CURSOR_PATTERN = r"^[A-Za-z0-9_=.-]{1,512}$"


class ApiModel(BaseModel):
    """Base of request and response bodies: unknown fields are an error (a typo is not silently ignored); text is
    passed on as sent (a password keeps its spaces; the domain trims what it stores)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ErrorBody(ApiModel):
    """Every error answer."""

    code: str = Field(description="stable machine-readable code, e.g. invalid_input, not_found")
    message: str = Field(description="中文说明")
    field: str | None = Field(None, description="the offending field or parameter, when one is to blame")


class PageQuery(ApiModel):
    """Query parameters of every list: `limit` and the opaque `cursor` of the previous page's `next_cursor`."""

    limit: int = Field(50, ge=1, le=200, description="每页条数")
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN, description="上一页返回的 next_cursor")


class Page(ApiModel, Generic[T]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None = None
