"""Dataclass ⇄ JSON-safe dict, driven by type hints; every adapter stores records through it.

Datetimes become ISO-8601 UTC strings, dates ISO dates, enums their value, bytes base64, mappings dicts and
tuples lists. Decoding rebuilds the frozen dataclass, so its validation runs again on the way out.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

from monitoring.errors import InvalidInputError

T = TypeVar("T")


_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})  # exact types: a str Enum is not plain


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type, None for any other type (cached: asked once per record field)."""
    try:
        return _FIELD_NAMES[cls]
    except KeyError:
        names = tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None
        _FIELD_NAMES[cls] = names
        return names


def to_data(value: Any) -> Any:
    """Turn a record (or any nested value) into JSON-safe data."""
    cls = type(value)
    if cls in _PLAIN:  # the common case, first: most leaves are strings and numbers
        return value
    names = _field_names(cls)
    if names is not None:
        return {name: to_data(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    return value


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _from(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _from(args[0], data)
    if tp is Any:
        return data
    if origin is tuple:
        (item,) = [a for a in typing.get_args(tp) if a is not Ellipsis][:1]
        return tuple(_from(item, v) for v in data)
    if origin in (Mapping, dict, typing.Mapping) or (origin is not None and issubclass(origin, Mapping)):
        _, vt = typing.get_args(tp)
        return {k: _from(vt, v) for k, v in data.items()}
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return from_data(tp, data)
        if issubclass(tp, Enum):
            return tp(data)
        if tp is datetime:
            return datetime.fromisoformat(data)
        if tp is date:
            return date.fromisoformat(data)
        if tp is bytes:
            return base64.b64decode(data)
        if tp is float:
            return float(data)
        if tp is int:
            return int(data)
    return data


def from_data(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a record of type `cls` from `to_data` output; unknown keys are ignored (forward compatible)."""
    hints = _hints(cast(Any, cls))
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _from(hints[f.name], data[f.name])
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"cannot rebuild {cls.__name__}: {exc}") from exc


def dumps(record: Any) -> str:
    """Record → compact JSON text."""
    return json.dumps(to_data(record), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def loads(cls: type[T], text: str | bytes) -> T:
    """JSON text → record."""
    return from_data(cls, json.loads(text))
