"""Opaque cursors (base64url JSON) and paging helpers; a cursor a client altered is a 422, never a crash."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import TypeVar

from miniprogram_api.chalicelib.errors import invalid
from miniprogram_api.chalicelib.models import PageQuery

T = TypeVar("T")
Scalar = str | int | float | bool | None


def encode_cursor(position: Mapping[str, Scalar]) -> str:
    """Where the next page starts, as an opaque URL-safe string."""
    raw = json.dumps(dict(position), separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, keys: Sequence[str]) -> dict[str, Scalar]:
    """The position written by `encode_cursor`; 422 `invalid_cursor` unless it decodes to exactly `keys` of scalars."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor") from None
    if (
        not isinstance(value, dict)
        or sorted(value) != sorted(keys)
        or not all(v is None or isinstance(v, str | int | float | bool) for v in value.values())
    ):
        raise invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
    return value


def page_slice(items: Sequence[T], query: PageQuery) -> tuple[list[T], str | None]:
    """One page of a list already in memory (small lists: accounts, towns), with an offset cursor."""
    start = 0
    if query.cursor:
        offset = decode_cursor(query.cursor, keys=("offset",))["offset"]
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
        start = offset
    end = start + query.limit
    return list(items[start:end]), (encode_cursor({"offset": end}) if end < len(items) else None)
