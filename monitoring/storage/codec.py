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
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from functools import cache
from json.encoder import encode_basestring
from typing import Any, TypeVar, cast

from monitoring.errors import InvalidInputError
from monitoring.readings.models import Reading

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


def _identity(data: Any) -> Any:
    return data


@cache
def _decoder(tp: Any) -> Callable[[Any], Any]:
    """The function turning `to_data` output back into a value of type `tp`, built once per type: reading a
    record walks its fields with ready functions instead of inspecting its type hints again each time."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _decoder(args[0])
        return lambda data: None if data is None else inner(data)
    if tp is Any:
        return _identity
    if origin is tuple:
        (item,) = [a for a in typing.get_args(tp) if a is not Ellipsis][:1]
        inner_item = _decoder(item)
        return lambda data: tuple(inner_item(v) for v in data)
    if origin in (Mapping, dict, typing.Mapping) or (origin is not None and issubclass(origin, Mapping)):
        _, vt = typing.get_args(tp)
        inner_value = _decoder(vt)
        if inner_value is _identity:
            return lambda data: dict(data.items())
        return lambda data: {k: inner_value(v) for k, v in data.items()}
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return lambda data: from_data(tp, data)
        if issubclass(tp, Enum):
            return tp
        if tp is datetime:
            return datetime.fromisoformat
        if tp is date:
            return date.fromisoformat
        if tp is bytes:
            return base64.b64decode
        if tp is float:
            return float
        if tp is int:
            return int
    return _identity


@cache
def _plan(cls: Any) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """(field name, decoder) for each field of a record type, in declaration order."""
    hints = _hints(cls)
    return tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls))


def from_data(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a record of type `cls` from `to_data` output; unknown keys are ignored (forward compatible)."""
    if cls is Reading:
        reading = _reading_from(data)
        if reading is not None:
            return cast(T, reading)
    kwargs = {name: decode(data[name]) for name, decode in _plan(cast(Any, cls)) if name in data}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"cannot rebuild {cls.__name__}: {exc}") from exc


def _reading_from(data: Mapping[str, Any]) -> Reading | None:
    """`from_data(Reading, data)` written out for what `dumps` writes: the rules read thousands of readings a tick,
    and the generic walk copies each mapping (a frame's dozens of raw codes) before Reading copies it again.
    Reading checks and converts every field itself, so anything it refuses, or a missing key, returns None: the
    generic walk then gives its result or its error (tests compare both)."""
    try:
        received_at = data["received_at"]
        return Reading(
            point_id=data["point_id"],
            data_time=datetime.fromisoformat(data["data_time"]),
            kind=data["kind"],
            values=data["values"],
            flags=data["flags"],
            raw=data["raw"],
            mn=data["mn"],
            received_at=None if received_at is None else datetime.fromisoformat(received_at),
        )
    except (KeyError, TypeError, ValueError, AttributeError, InvalidInputError):
        return None


def _reading_text(reading: Reading) -> str | None:
    """`dumps` of a Reading, written out: readings are most of what decode stores, and the generic walk costs
    dozens of calls per quantity. The same text (tests compare both, byte for byte): the keys in sorted order,
    each part from the same encoder. Anything unusual (a str subclass, say) returns None: the generic walk."""
    if type(reading.point_id) is not str or type(reading.mn) is not str:
        return None
    values, flags = reading.values, reading.flags
    if not set(map(type, values.values())) <= _FLOAT or not set(map(type, flags.values())) <= _STR:
        return None
    flags_key = tuple(flags.items())
    flags_text = _FLAGS_TEXT.get(flags_key)
    if flags_text is None:  # a point's flags are the same frame after frame ("N" for every quantity)
        if len(_FLAGS_TEXT) >= _FLAGS_TEXT_LIMIT:
            _FLAGS_TEXT.clear()
        flags_text = _FLAGS_TEXT[flags_key] = _encode(dict(flags))
    raw = reading.raw
    received_at = reading.received_at
    return "".join(
        (
            '{"data_time":',
            _string(reading.data_time.isoformat()),
            ',"flags":',
            flags_text,
            ',"kind":',
            _string(reading.kind.value),
            ',"mn":',
            _string(reading.mn),
            ',"point_id":',
            _string(reading.point_id),
            ',"raw":',
            # (Reading keeps raw as str → str, so to_data would return every item as is)
            _encode_in_order({code: dict(sorted(item.items())) for code, item in sorted(raw.items())}) if raw else "{}",
            ',"received_at":',
            "null" if received_at is None else _string(received_at.isoformat()),
            ',"values":',
            _encode_in_order(dict(sorted(values.items()))),  # sorted here: the encoder's sort_keys costs more
            "}",
        )
    )


_FLOAT: frozenset[type] = frozenset({float})
_STR: frozenset[type] = frozenset({str})
_FLAGS_TEXT: dict[tuple[tuple[str, str], ...], str] = {}
_FLAGS_TEXT_LIMIT = 4_096

# json.dumps builds a new encoder per call when given options; one shared encoder gives the same text.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
# What that encoder writes for a str (JSONEncoder.encode returns exactly this for one), without its dispatch.
_string = encode_basestring
# The same for mappings whose items are already in key order, nested ones too (sort_keys sorts items alike).
_encode_in_order = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def dumps(record: Any) -> str:
    """Record → compact JSON text (keys sorted, so equal records give equal text)."""
    if type(record) is Reading:
        text = _reading_text(record)
        if text is not None:
            return text
    return _encode(to_data(record))


def loads(cls: type[T], text: str | bytes) -> T:
    """JSON text → record."""
    return from_data(cls, json.loads(text))
