"""A page of results and its cursor: the sort key of the last item, opaque to callers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from monitoring.errors import InvalidInputError

T = TypeVar("T")
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None  # None: this was the last page


def check_limit(limit: int) -> int:
    if not (1 <= limit <= MAX_PAGE):
        raise InvalidInputError(f"每页条数须在 1–{MAX_PAGE} 之间")
    return limit


def bad_cursor() -> InvalidInputError:
    return InvalidInputError("分页游标无效，请从第一页重新查询")
