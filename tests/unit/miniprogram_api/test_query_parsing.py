"""Query strings into query models: repeated parameters only for list fields, aliases honoured, the rest a 422."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import Request
from pydantic import Field

from miniprogram_api.chalicelib.errors import ApiError
from miniprogram_api.chalicelib.framework import _parse_query
from miniprogram_api.chalicelib.models import PageQuery


class _Query(PageQuery):
    town: list[str] | None = None
    since: str | None = Field(None, alias="from")


def _request(query: dict[str, list[str]]) -> Request:
    event: dict[str, Any] = {
        "multiValueQueryStringParameters": query or None,
        "headers": {},
        "pathParameters": {},
        "requestContext": {"httpMethod": "GET", "resourcePath": "/x", "identity": {"sourceIp": "127.0.0.1"}},
        "body": None,
        "stageVariables": {},
    }
    return Request(event)


@pytest.mark.unit
def test_lists_aliases_and_defaults() -> None:
    parsed = _parse_query(_Query, _request({"town": ["t1", "t2"], "from": ["2026-12-01"], "limit": ["5"]}))
    assert isinstance(parsed, _Query)
    assert (parsed.town, parsed.since, parsed.limit, parsed.cursor) == (["t1", "t2"], "2026-12-01", 5, None)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": ["5", "6"]}, "limit"), ({"color": ["red"]}, "color"), ({"limit": ["999"]}, "limit")],
    ids=["repeated single", "unknown", "out of range"],
)
def test_bad_queries_are_422_naming_the_parameter(query: dict[str, list[str]], field: str) -> None:
    with pytest.raises(ApiError) as caught:
        _parse_query(_Query, _request(query))
    assert (caught.value.status, caught.value.field) == (422, field)
