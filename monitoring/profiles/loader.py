"""Load and validate protocol profiles from JSON files (data/profiles/*.json).

Profiles are outside input: every key is checked and an error names the file, the key path and the
reason (`ProfileError`). A province's profile may `extend` another one and only add or override codes,
so adding a province needs a data file and no code change. Loading is all-or-nothing per directory.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitoring.errors import InvalidInputError
from monitoring.profiles.models import (
    EVENT_TYPES,
    MESSAGE_KINDS,
    VALUE_FIELDS,
    EventSpec,
    FactorRule,
    MessageRule,
    Profile,
)
from monitoring.readings.quantities import QUANTITIES, UNITS, resolve, unit_scale

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "profiles"
SIMULATOR_PREFIX = "simulator_"
DEFAULT_PROFILE_ID = "default"  # Terminal.profile's default

_TOP_KEYS = {"id", "name", "description", "version", "extends", "assumptions", "default_channel"}
_TOP_KEYS |= {"messages", "factors", "events", "gps", "secondary_values", "$comment"}
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_CODE = re.compile(r"[A-Za-z0-9_]{1,32}")
_PLACEHOLDER = re.compile(r"\{ch(:[1-9]|\?)?\}")  # {ch}: 1+ digits, {ch:2}: exactly 2, {ch?}: 0+ digits
_DEFAULT_FIELDS = ("Rtd", "Avg", "Min", "Max", "Info", "Data")


class ProfileError(InvalidInputError):
    """A profile file is invalid: `file`, `key` (JSON path) and `reason` say where and why."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(f"{file}: {key}: {reason}")
        self.file, self.key, self.reason = file, key, reason


class _Ctx:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, reason: str) -> ProfileError:
        return ProfileError(self.file, key, reason)

    def str_(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                raise self.fail(f"{path}{key}", "required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{path}{key}", f"must be a non-empty string, got {value!r}")
        return value


def load_profiles(directory: Path | str = DEFAULT_DIR) -> dict[str, Profile]:
    """Every *.json profile in `directory`, validated, with `extends` resolved; keyed by id."""
    return build_profiles(read_sources(directory))


def read_sources(directory: Path | str = DEFAULT_DIR) -> dict[str, str]:
    """{file: text} of the profile files in `directory` (the simulator's own description is not one)."""
    sources: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.json")):
        if path.name.startswith(SIMULATOR_PREFIX):
            continue  # the simulator's description of what it sends (simulator branch), not a platform profile
        try:
            sources[str(path)] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(str(path), "$", f"cannot read: {exc}") from exc
    return sources


def build_profiles(sources: Mapping[str, str]) -> dict[str, Profile]:
    """Profiles from {file name: JSON text}: parsed, validated and `extends` resolved (no I/O)."""
    raw: dict[str, tuple[str, dict[str, Any]]] = {}
    for file, text in sources.items():
        doc = _parse(file, text)
        pid = doc["id"]
        stem = Path(file).stem
        if stem.replace("_", "-") != pid:
            raise ProfileError(
                file, "id", f"must match the file name ({stem}.json holds id {stem.replace('_', '-')!r})"
            )
        if pid in raw:
            raise ProfileError(file, "id", f"duplicate profile id {pid!r} (also in {raw[pid][0]})")
        raw[pid] = (file, doc)
    resolved: dict[str, Profile] = {}
    for pid in raw:
        _resolve(pid, raw, resolved, ())
    return resolved


def _parse(file: str, text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(file, "$", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if not isinstance(doc, dict):
        raise ProfileError(file, "$", "the top level must be an object")
    ctx = _Ctx(file)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ctx.fail(unknown[0], f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    pid = ctx.str_(doc, "id", "")
    if pid is None or not _ID.fullmatch(pid):
        raise ctx.fail("id", "must be lower-case letters, digits, '-', '_' or '.' (at most 64)")
    return doc


def _resolve(
    pid: str, raw: dict[str, tuple[str, dict[str, Any]]], done: dict[str, Profile], chain: tuple[str, ...]
) -> Profile:
    if pid in done:
        return done[pid]
    file, doc = raw[pid]
    parent = None
    if doc.get("extends") is not None:
        base = doc["extends"]
        if not isinstance(base, str) or base not in raw:
            raise ProfileError(file, "extends", f"unknown profile {base!r}")
        if base in chain or base == pid:
            raise ProfileError(file, "extends", f"cycle: {' -> '.join((*chain, pid, base))}")
        parent = _resolve(base, raw, done, (*chain, pid))
    done[pid] = _build(file, doc, parent)
    return done[pid]


def _build(file: str, doc: dict[str, Any], parent: Profile | None) -> Profile:
    ctx = _Ctx(file)
    name = ctx.str_(doc, "name", "")
    assumptions = doc.get("assumptions", [] if parent else None)
    if not isinstance(assumptions, list) or not all(isinstance(a, str) and a.strip() for a in assumptions):
        raise ctx.fail("assumptions", "must be a list of non-empty strings (write the profile's assumptions down)")
    if parent is None and not assumptions:
        raise ctx.fail("assumptions", "a base profile must state at least one assumption")
    channel = doc.get("default_channel", parent.default_channel if parent else "")
    if not isinstance(channel, str) or not re.fullmatch(r"[A-Za-z0-9]{0,8}", channel):
        raise ctx.fail("default_channel", f"must be 0-8 letters or digits, got {channel!r}")
    messages = tuple(_message(ctx, m, i) for i, m in enumerate(_list(ctx, doc, "messages", parent is not None)))
    factors = tuple(_factor(ctx, f, i) for i, f in enumerate(_list(ctx, doc, "factors", parent is not None)))
    _no_duplicates(ctx, messages, factors)
    events = _events(ctx, doc["events"]) if doc.get("events") is not None else (parent.events if parent else None)
    gps = _gps(ctx, doc.get("gps", {}))
    secondary = doc.get("secondary_values", parent.secondary_values if parent else False)
    if not isinstance(secondary, bool):
        raise ctx.fail("secondary_values", "must be true or false")
    if parent is not None:  # the child's own rules are consulted first
        messages += parent.messages
        factors += parent.factors
        assumptions = [*parent.assumptions, *assumptions]
        gps = {**parent.gps, **gps}
    assert name is not None
    return Profile(doc["id"], name, file, tuple(assumptions), channel, messages, factors, events, gps, secondary)


def _list(ctx: _Ctx, doc: Mapping[str, Any], key: str, optional: bool) -> list[Any]:
    value = doc.get(key)
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise ctx.fail(key, "must be a list")
    return value


def _message(ctx: _Ctx, obj: Any, i: int) -> MessageRule:
    path = f"messages[{i}]."
    if not isinstance(obj, dict):
        raise ctx.fail(path[:-1], "must be an object")
    extra = sorted(set(obj) - {"st", "cn", "kind", "note"})
    if extra:
        raise ctx.fail(path + extra[0], "unknown key (allowed: st, cn, kind, note)")
    st, cn, kind = ctx.str_(obj, "st", path), ctx.str_(obj, "cn", path), ctx.str_(obj, "kind", path)
    assert st is not None and cn is not None and kind is not None
    if st != "*" and not re.fullmatch(r"[A-Z0-9]{2}", st):
        raise ctx.fail(path + "st", f"must be two digits/capitals or '*', got {st!r}")
    if not re.fullmatch(r"\d{4}", cn):
        raise ctx.fail(path + "cn", f"must be four digits, got {cn!r}")
    if kind not in MESSAGE_KINDS:
        raise ctx.fail(path + "kind", f"unknown kind {kind!r} (allowed: {', '.join(MESSAGE_KINDS)})")
    return MessageRule(st, cn, kind)


def _factor(ctx: _Ctx, obj: Any, i: int) -> FactorRule:
    path = f"factors[{i}]."
    if not isinstance(obj, dict):
        raise ctx.fail(path[:-1], "must be an object")
    allowed = {"code", "quantity", "phase", "unit", "scale", "fields", "channel", "note"}
    extra = sorted(set(obj) - allowed)
    if extra:
        raise ctx.fail(path + extra[0], f"unknown key (allowed: {', '.join(sorted(allowed))})")
    code = ctx.str_(obj, "code", path)
    assert code is not None
    holes = _PLACEHOLDER.findall(code)
    literal = _PLACEHOLDER.sub("", code)
    if len(holes) > 1 or not _CODE.fullmatch(literal) or ("{" in literal or "}" in literal):
        reason = f"must be a factor code with at most one {{ch}}, {{ch:N}} or {{ch?}}, got {code!r}"
        raise ctx.fail(path + "code", reason)
    regex = None
    if holes:
        spec = holes[0]
        parts = _PLACEHOLDER.split(code)  # [before, spec-group, after]
        digits = r"\d*" if spec == "?" else rf"\d{{{spec[1:]}}}" if spec else r"\d+"
        regex = re.compile(re.escape(parts[0]) + f"(?P<ch>{digits})" + re.escape(parts[2]))
    quantity = _quantity(ctx, obj, path)
    unit = ctx.str_(obj, "unit", path)
    assert unit is not None
    scale = unit_scale(quantity, unit)
    if scale is None:
        dim = QUANTITIES[quantity].dimension
        raise ctx.fail(path + "unit", f"{unit!r} is not a unit of {quantity} (allowed: {', '.join(UNITS[dim])})")
    extra_scale = obj.get("scale", 1)
    if isinstance(extra_scale, bool) or not isinstance(extra_scale, int | float) or not math.isfinite(extra_scale):
        raise ctx.fail(path + "scale", f"must be a finite number, got {extra_scale!r}")
    if extra_scale == 0:
        raise ctx.fail(path + "scale", "must not be zero")
    fields = obj.get("fields", list(_DEFAULT_FIELDS) + (["Cou"] if QUANTITIES[quantity].cumulative else []))
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise ctx.fail(path + "fields", "must be a non-empty list of CP field names")
    bad = [f for f in fields if f not in VALUE_FIELDS]
    if bad:
        raise ctx.fail(path + "fields", f"{bad[0]!r} carries no value (allowed: {', '.join(VALUE_FIELDS)})")
    channel = ctx.str_(obj, "channel", path, required=False)
    if channel is not None and not re.fullmatch(r"[A-Za-z0-9]{0,8}", channel.replace("{ch}", "0")):
        reason = f"must be up to 8 letters and digits (and a {{ch}} placeholder), got {channel!r}"
        raise ctx.fail(path + "channel", reason)
    if channel is not None and "{ch}" in channel and not holes:
        raise ctx.fail(path + "channel", "uses {ch} but the code has no {ch} suffix")
    return FactorRule(code, quantity, scale * float(extra_scale), frozenset(fields), channel, regex)


def _quantity(ctx: _Ctx, obj: Mapping[str, Any], path: str) -> str:
    base = ctx.str_(obj, "quantity", path)
    phase = ctx.str_(obj, "phase", path, required=False)
    assert base is not None
    name = resolve(base, phase)
    if name is None:
        what = f"{base!r} with phase {phase!r}" if phase else repr(base)
        raise ctx.fail(path + ("phase" if phase and base in QUANTITIES else "quantity"), f"unknown quantity {what}")
    return name


def _no_duplicates(ctx: _Ctx, messages: tuple[MessageRule, ...], factors: tuple[FactorRule, ...]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for i, m in enumerate(messages):
        if (m.st, m.cn) in seen:
            raise ctx.fail(f"messages[{i}]", f"ST={m.st} CN={m.cn} is already mapped by messages[{seen[(m.st, m.cn)]}]")
        seen[(m.st, m.cn)] = i
    fields_seen: dict[tuple[str, str], int] = {}
    for i, f in enumerate(factors):
        for fld in f.fields:
            key = (f.code, fld)
            if key in fields_seen:
                raise ctx.fail(f"factors[{i}].code", f"{f.code}-{fld} is already mapped by factors[{fields_seen[key]}]")
            fields_seen[key] = i


def _events(ctx: _Ctx, obj: Any) -> EventSpec:
    if not isinstance(obj, dict):
        raise ctx.fail("events", "must be an object")
    allowed = {"type_field", "time_field", "channel_field", "detail_fields", "types", "note"}
    extra = sorted(set(obj) - allowed)
    if extra:
        raise ctx.fail("events." + extra[0], f"unknown key (allowed: {', '.join(sorted(allowed))})")
    type_field, time_field = ctx.str_(obj, "type_field", "events."), ctx.str_(obj, "time_field", "events.")
    channel_field = ctx.str_(obj, "channel_field", "events.", required=False) or "Channel"
    details = obj.get("detail_fields", [])
    if not isinstance(details, list) or not all(isinstance(d, str) for d in details):
        raise ctx.fail("events.detail_fields", "must be a list of CP field names")
    types = obj.get("types")
    if not isinstance(types, dict) or not types:
        raise ctx.fail("events.types", "must map the terminal's event codes to event types")
    for code, kind in types.items():
        if kind not in EVENT_TYPES:
            raise ctx.fail(f"events.types.{code}", f"unknown event type {kind!r} (allowed: {', '.join(EVENT_TYPES)})")
    assert type_field is not None and time_field is not None
    return EventSpec(type_field, time_field, channel_field, tuple(details), dict(types))


def _gps(ctx: _Ctx, obj: Any) -> dict[str, str]:
    if not isinstance(obj, dict) or set(obj) - {"lat", "lon", "note"}:
        raise ctx.fail("gps", "must be an object with 'lat' and 'lon' factor codes")
    if obj and not (isinstance(obj.get("lat"), str) and isinstance(obj.get("lon"), str)):
        raise ctx.fail("gps", "'lat' and 'lon' must both be factor codes")
    return {k: v for k, v in obj.items() if k in ("lat", "lon")}
