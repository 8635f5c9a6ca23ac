"""Times in the API are Beijing time with +08:00, in every response model of every route (walked, not sampled)."""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, PlainSerializer, ValidationError

from miniprogram_api.app import app  # noqa: F401 - importing the app declares every route
from miniprogram_api.chalicelib.framework import ROUTES
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime


class _Stamp(ApiModel):
    at: BeijingTime


@pytest.mark.unit
def test_times_are_written_in_beijing_time_and_read_only_with_an_offset() -> None:
    assert _Stamp(at=datetime(2026, 12, 1, 0, 30, tzinfo=UTC)).model_dump_json() == '{"at":"2026-12-01T08:30:00+08:00"}'
    assert _Stamp.model_validate_json('{"at": "2026-12-01T08:30:00+08:00"}').at == datetime(
        2026, 12, 1, 0, 30, tzinfo=UTC
    )
    with pytest.raises(ValidationError, match="时区"):
        _Stamp.model_validate_json('{"at": "2026-12-01T08:30:00"}')


def _bare_datetimes(model: type[BaseModel], seen: set[type[BaseModel]], where: str) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    found: list[str] = []
    for name, info in model.model_fields.items():
        beijing = any(isinstance(m, PlainSerializer) for m in info.metadata)
        found += _scan(info.annotation, beijing, seen, f"{where}.{name}")
    return found


def _scan(annotation: Any, beijing: bool, seen: set[type[BaseModel]], where: str) -> list[str]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        args = typing.get_args(annotation)
        marked = beijing or any(isinstance(m, PlainSerializer) for m in args[1:])
        return _scan(args[0], marked, seen, where)
    if origin is not None or isinstance(annotation, types.UnionType):
        return [x for arg in typing.get_args(annotation) for x in _scan(arg, beijing, seen, where)]
    if annotation is datetime and not beijing:
        return [where]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _bare_datetimes(annotation, seen, annotation.__name__)
    return []


@pytest.mark.unit
def test_every_time_in_every_response_is_beijing_time() -> None:
    seen: set[type[BaseModel]] = set()
    bare = [x for spec in ROUTES if spec.response for x in _bare_datetimes(spec.response, seen, spec.response.__name__)]
    assert bare == [], "use models.BeijingTime for these fields"
    assert len(seen) > 3


@pytest.mark.unit
def test_the_walker_finds_a_bare_datetime_deep_inside() -> None:
    class Inner(BaseModel):
        when: datetime | None = None
        day: date | None = None

    class Outer(BaseModel):
        ok: BeijingTime
        items: list[Inner]

    assert _bare_datetimes(Outer, set(), "Outer") == ["Inner.when"]
