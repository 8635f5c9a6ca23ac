"""Cursors round-trip, and a cursor a client altered is a 422 (never a crash or a wrong page)."""

from __future__ import annotations

import pytest

from miniprogram_api.chalicelib.errors import ApiError
from miniprogram_api.chalicelib.models import PageQuery
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor, page_slice


@pytest.mark.unit
def test_cursor_round_trip() -> None:
    position = {"at": "2026-12-01T08:00:00+08:00", "id": "a-1", "n": 3}
    assert decode_cursor(encode_cursor(position), keys=("at", "id", "n")) == position


@pytest.mark.unit
@pytest.mark.parametrize("cursor", ["!!", "bm90IGpzb24", encode_cursor({"other": 1}), "W10"])
def test_bad_cursor_is_422(cursor: str) -> None:
    with pytest.raises(ApiError) as caught:
        decode_cursor(cursor, keys=("at", "id"))
    assert (caught.value.status, caught.value.code, caught.value.field) == (422, "invalid_cursor", "cursor")


@pytest.mark.unit
def test_page_slice_walks_every_item_once() -> None:
    items, seen, cursor = list(range(7)), [], None
    while True:
        page, cursor = page_slice(items, PageQuery(limit=3, cursor=cursor))
        seen += page
        if cursor is None:
            break
    assert seen == items
    with pytest.raises(ApiError):
        page_slice(items, PageQuery(limit=3, cursor=encode_cursor({"offset": -1})))
