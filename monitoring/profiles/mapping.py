"""Apply a protocol profile to one frame's data area: values per channel and quantity, events, GPS.

Pure: takes ST, CN and the CP mapping (hj212's `CP.scalars` / `CP.items` / `CP.groups`, strings as
received) and returns a `MappedFrame`. Whatever the profile does not map is returned in `unknown`, never dropped, so
the decode service can store it visibly next to the reading.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import compress, repeat
from math import isfinite
from operator import and_, getitem, le, methodcaller, mul, not_
from typing import NamedTuple

from hj212 import CPGroup
from monitoring.profiles.models import META_FIELDS, READING_KINDS, VALUE_FIELDS, Profile
from monitoring.readings.quantities import BOUNDS, QUANTITIES
from monitoring.readings.values import OUT_OF_RANGE, PLAIN_NUMBER, convert, parse_local_time

# Scalars that are part of the protocol, not data: they are not "unknown".
_KNOWN_SCALARS = frozenset({"DataTime", "QnRtn", "ExeRtn", "BeginTime", "EndTime", "PolId", "InfoId"})


class MappedValue(NamedTuple):
    """One CP item field mapped to a quantity on a channel, converted (a tuple: frames carry dozens of them)."""

    channel: str
    quantity: str
    stat: str  # "value" (Rtd/Info/RS/RT), "avg", "min", "max", "cou"
    value: float | None
    raw: str
    quality: frozenset[str]
    flag: str | None  # the terminal's data flag for this item (N, F, M, S, D, C, T, B, ...)
    code: str


@dataclass(frozen=True, slots=True)
class MappedEvent:
    """An SOE record as the terminal reported it, time in UTC (None if the time was unreadable)."""

    type: str  # an EVENT_TYPES member, or "" when the profile does not know the terminal's code
    code: str
    at: datetime | None
    at_raw: str
    channel: str
    detail: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class MappedFrame:
    """A frame's data area seen through a profile."""

    kind: str | None  # message kind, None when the profile does not know this (ST, CN)
    data_time: datetime | None
    data_time_raw: str | None
    values: tuple[MappedValue, ...] = ()
    events: tuple[MappedEvent, ...] = ()
    gps: tuple[float, float] | None = None
    unknown: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # code -> {field: raw}; "" = scalars

    @property
    def reading_kind(self) -> str | None:
        """The kind of reading this frame makes, if any ("info" frames make real-time readings)."""
        if self.kind == "info":
            return "realtime"
        return self.kind if self.kind in READING_KINDS else None

    @property
    def is_reading(self) -> bool:
        return self.reading_kind is not None


def map_frame(
    profile: Profile,
    st: str | None,
    cn: str | None,
    scalars: Mapping[str, str],
    items: Mapping[str, Mapping[str, str]],
    groups: Sequence[CPGroup] = (),
) -> MappedFrame:
    """Map one frame's CP through `profile`.

    What to do with each field depends only on the profile, (ST, CN) and the frame's layout (its scalar names,
    item codes and field names, in order), and a terminal sends the same layout frame after frame: that plan is
    compiled once and kept on the profile (`compiled_plan`), so a frame costs one pass over its values.

    `groups` (hj212's `CP.groups`: one per instrument when a logger repeats `PolId=…`) are mapped one by one
    with the same profile; see `_map_group`.
    """
    mapped = _map_plain(profile, st, cn, scalars, items)
    if not groups:
        return mapped
    values, events, unknown, gps = list(mapped.values), list(mapped.events), dict(mapped.unknown), mapped.gps
    for group in groups:
        part = _map_group(profile, st, cn, group, mapped.data_time_raw or "")
        values += part.values
        events += part.events
        unknown |= part.unknown
        gps = gps or part.gps  # a logger has one position: the first one given
    return MappedFrame(mapped.kind, mapped.data_time, mapped.data_time_raw, tuple(values), tuple(events), gps, unknown)


def _map_group(profile: Profile, st: str | None, cn: str | None, group: CPGroup, data_time_raw: str) -> MappedFrame:
    """One group of a grouped data area (e.g. `PolId=w01019,i12001-Info=1,i12002-Info=0`), mapped like a frame.

    A group reports on one instrument, named by its heading: its values and SOE belong to that instrument's
    channel, which is the channel the profile gives the heading's value as a factor code (`PolId=Ua02` → "02"),
    or else the value itself (`PolId=w01019` → "w01019", a channel no point has until one is given it). What the
    profile does not map is kept raw under "<heading>=<value>/<code>" (its other scalars under "<heading>=<value>"),
    so groups never overwrite one another.
    """
    channel = _group_channel(profile, group.value)
    rest = {k: v for k, v in group.scalars.items() if k != group.name}
    mapped = _map_plain(profile, st, cn, {"DataTime": data_time_raw, **rest}, group.items, channel)
    prefix = f"{group.name}={group.value}"
    unknown = {(f"{prefix}/{code}" if code else prefix): fields for code, fields in mapped.unknown.items()}
    values = tuple(v._replace(channel=channel) for v in mapped.values)
    return MappedFrame(mapped.kind, None, None, values, mapped.events, mapped.gps, unknown)


def _group_channel(profile: Profile, value: str) -> str:
    for field_name in VALUE_FIELDS:
        hit = profile.factor_for(value, field_name)
        if hit is not None:
            return hit[1]
    return value


def _map_plain(
    profile: Profile,
    st: str | None,
    cn: str | None,
    scalars: Mapping[str, str],
    items: Mapping[str, Mapping[str, str]],
    channel: str | None = None,
) -> MappedFrame:
    """Map scalars and items (a whole ungrouped frame, or one group: then `channel` is the group's)."""
    plan = compiled_plan(profile, st, cn, scalars, items)
    fields_of = list(items.values())
    values = _values_in_bulk(plan, fields_of) if plan.steps else []
    if values is None:
        values = _values_one_by_one(plan, fields_of)
    unknown: dict[str, dict[str, str]] = {}
    gps: dict[str, float] = {}
    for index in plan.special:  # items with GPS fields or with fields kept raw
        fields, item = fields_of[index], plan.items[index]
        for fld, axis in item.gps:
            converted = convert(fields[fld], "", 1.0)
            if converted.value is not None:
                gps[axis] = converted.value
        if item.keep_unknown:
            unknown[item.code] = {fld: fields[fld] for fld in item.leftover}
    events = _events(profile, scalars, items, channel) if plan.kind in ("event", "info") else ()
    if plan.extra_scalars:
        unknown[""] = {k: scalars[k] for k in plan.extra_scalars}
    position = (gps["lat"], gps["lon"]) if "lat" in gps and "lon" in gps else None
    data_time_raw = scalars.get("DataTime")
    return MappedFrame(
        plan.kind, parse_local_time(data_time_raw), data_time_raw, tuple(values), events, position, unknown
    )


def _values_in_bulk(plan: FramePlan, fields_of: list[Mapping[str, str]]) -> list[MappedValue] | None:
    """All of a frame's values with a few passes of C-level builtins over its steps, when every raw value is a
    plain number (one regular-expression match over them all); None otherwise (then `_values_one_by_one`).

    Exactness: the raw values are joined with "," and matched as numbers separated by ","; a raw value holding
    a "," could pass that match in pieces, but then float() refuses it and this returns None. So each value that
    gets here matched the number pattern on its own, and float(raw) × scale is what `convert` computes; values
    outside their quantity's bounds (or nan) are then handed to `convert` one by one.
    """
    step_fields = list(map(fields_of.__getitem__, plan.step_items))
    raws = list(map(getitem, step_fields, plan.step_fields))
    if _NUMBERS.fullmatch(",".join(raws)) is None:
        return None
    try:
        numbers = list(map(float, raws))
    except ValueError:
        return None
    if not plan.unit_scales:
        numbers = list(map(mul, numbers, plan.scales))
    flags = list(map(_FLAG, step_fields))
    values = list(
        map(
            _new_value,
            zip(plan.channels, plan.quantities, plan.stats, numbers, raws, _CLEANS, flags, plan.codes, strict=False),
        )
    )
    in_bounds = list(map(and_, map(le, plan.lows, numbers), map(le, numbers, plan.highs)))
    if not all(in_bounds):
        for i in compress(range(len(numbers)), map(not_, in_bounds)):
            number, quantity = numbers[i], plan.quantities[i]
            value: float | None
            if isfinite(number) and quantity in QUANTITIES:
                value, quality = number, _OUT_OF_RANGE  # what convert returns for a finite, implausible number
            else:
                c = convert(raws[i], quantity, plan.scales[i])
                value, quality = c.value, c.quality
            values[i] = _new_value(
                (plan.channels[i], quantity, plan.stats[i], value, raws[i], quality, flags[i], plan.codes[i])
            )
    return values


def _values_one_by_one(plan: FramePlan, fields_of: list[Mapping[str, str]]) -> list[MappedValue]:
    values: list[MappedValue] = []
    syntax = PLAIN_NUMBER.fullmatch
    new_value = _new_value
    for fields, item in zip(fields_of, plan.items, strict=True):
        flag = fields.get("Flag")
        code = item.code
        for fld, channel, quantity, stat, scale, low, high in item.values:
            raw = fields[fld]
            # A plain number within its quantity's bounds (so finite) is what `convert` would return as is;
            # anything else (blank, padded, garbage, non-finite, implausible) goes through `convert` itself.
            if raw and syntax(raw) and low <= (number := float(raw) * scale) <= high:
                values.append(new_value((channel, quantity, stat, number, raw, _CLEAN, flag, code)))
            else:
                c = convert(raw, quantity, scale)
                values.append(new_value((channel, quantity, stat, c.value, raw, c.quality, flag, code)))
    return values


# ---- compiled plans ---------------------------------------------------------------------------------------
_CLEAN: frozenset[str] = frozenset()
_new_value = partial(tuple.__new__, MappedValue)  # MappedValue from a tuple without the generated __new__
_OUT_OF_RANGE: frozenset[str] = frozenset({OUT_OF_RANGE})
_CLEANS = repeat(_CLEAN)  # (zip stops at the shortest: the steps)
_FLAG = methodcaller("get", "Flag")
# Numbers as PLAIN_NUMBER spells them, separated by ",": one match checks a whole frame's values.
_NUMBERS = re.compile(rf"(?:{PLAIN_NUMBER.pattern})(?:,(?:{PLAIN_NUMBER.pattern}))*")
_FINITE = sys.float_info.max  # bounds of a quantity without plausibility bounds: finite is all it must be
PLAN_LIMIT = 1_024  # plans kept per profile (least recently used out): a hostile terminal may invent layouts

ValueStep = tuple[str, str, str, str, float, float, float]  # field, channel, quantity, stat, scale, low, high


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """What to do with one CP item of a given layout."""

    code: str
    values: tuple[ValueStep, ...]  # mapped value fields, in the item's field order
    gps: tuple[tuple[str, str], ...]  # (field, "lat"/"lon")
    leftover: tuple[str, ...]  # fields kept raw when `keep_unknown`
    keep_unknown: bool


@dataclass(frozen=True, slots=True)
class FramePlan:
    """A frame layout's mapping through one profile: message kind, item plans (in item order), extra scalars,
    and every value step of the frame flattened into columns (in item and field order) for `_values_in_bulk`."""

    kind: str | None
    items: tuple[ItemPlan, ...]
    extra_scalars: tuple[str, ...]
    special: tuple[int, ...] = ()  # indexes of items with GPS fields or fields kept raw
    steps: int = 0
    step_items: tuple[int, ...] = ()
    step_fields: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    quantities: tuple[str, ...] = ()
    stats: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    scales: tuple[float, ...] = ()
    unit_scales: bool = True  # every scale is 1.0: no multiplication needed
    lows: tuple[float, ...] = ()
    highs: tuple[float, ...] = ()


def _flatten(kind: str | None, items: tuple[ItemPlan, ...], extra: tuple[str, ...]) -> FramePlan:
    steps = [(i, item.code, step) for i, item in enumerate(items) for step in item.values]
    special = tuple(i for i, item in enumerate(items) if item.gps or item.keep_unknown)
    scales = tuple(step[4] for _, _, step in steps)
    return FramePlan(
        kind,
        items,
        extra,
        special,
        len(steps),
        tuple(i for i, _, _ in steps),
        tuple(step[0] for _, _, step in steps),
        tuple(step[1] for _, _, step in steps),
        tuple(step[2] for _, _, step in steps),
        tuple(step[3] for _, _, step in steps),
        tuple(code for _, code, _ in steps),
        scales,
        all(scale == 1.0 for scale in scales),
        tuple(step[5] for _, _, step in steps),
        tuple(step[6] for _, _, step in steps),
    )


def compiled_plan(
    profile: Profile, st: str | None, cn: str | None, scalars: Mapping[str, str], items: Mapping[str, Mapping[str, str]]
) -> FramePlan:
    """The plan for this frame's layout, from the profile's cache or compiled now.

    The cache lives on the Profile object, so a reloaded (changed) profile starts with none; the key holds
    every name the plan depends on, so a new layout (an added field, another order) gets its own plan.
    """
    # scalar names, item codes, each item's field names (all in order); built by C-level calls, it is per frame
    key = (st, cn, tuple(scalars), tuple(items), tuple(map(tuple, items.values())))
    plan: FramePlan | None = profile.plans.get(key)
    if plan is None:
        plan = _compile(profile, st, cn, scalars, items)
        profile.plans.put(key, plan, PLAN_LIMIT)
    return plan


def _compile(
    profile: Profile, st: str | None, cn: str | None, scalars: Mapping[str, str], items: Mapping[str, Mapping[str, str]]
) -> FramePlan:
    rule = profile.message_for(st, cn)
    kind = rule.kind if rule else None
    # GPS is named "CODE" (its value fields) or "CODE-Field" (one field of an item, e.g. GPS-Lat).
    gps_codes = {spec.split("-")[0]: axis for axis, spec in profile.gps.items() if "-" not in spec}
    gps_fields = {tuple(spec.split("-", 1)): axis for axis, spec in profile.gps.items() if "-" in spec}
    event_fields = _event_fields(profile)
    plans = []
    for code, fields in items.items():
        steps: list[ValueStep] = []
        gps: list[tuple[str, str]] = []
        leftover: list[str] = []
        for fld in fields:
            if fld in event_fields and code not in gps_codes:
                continue
            if (code, fld) in gps_fields:
                gps.append((fld, gps_fields[(code, fld)]))
                continue
            if code in gps_codes and fld in VALUE_FIELDS:
                gps.append((fld, gps_codes[code]))
                continue
            hit = profile.factor_for(code, fld) if fld in VALUE_FIELDS else None
            if hit is None:
                leftover.append(fld)
                continue
            factor, channel = hit
            low, high = _bounds(factor.quantity)
            steps.append((fld, channel, factor.quantity, VALUE_FIELDS[fld], factor.scale, low, high))
        # Keep what was not mapped, with its flag, unless all that is left are the flags of mapped values.
        keep = bool(leftover) and (not set(leftover) <= META_FIELDS or not steps)
        plans.append(ItemPlan(code, tuple(steps), tuple(gps), tuple(leftover), keep))
    extra = tuple(k for k in scalars if k not in _KNOWN_SCALARS and not _is_event_scalar(profile, k, kind))
    return _flatten(kind, tuple(plans), extra)


def _bounds(quantity: str) -> tuple[float, float]:
    """The range a value of `quantity` may have and still be returned by `convert` unflagged (finite, plausible)."""
    q = QUANTITIES.get(quantity)
    if q is None:
        return -_FINITE, _FINITE
    low, high = BOUNDS[q.dimension]
    return max(low, -_FINITE), min(high, _FINITE)


def _event_fields(profile: Profile) -> frozenset[str]:
    spec = profile.events
    if spec is None:
        return frozenset()
    return frozenset({spec.type_field, spec.time_field, spec.channel_field, *spec.detail_fields})


def _is_event_scalar(profile: Profile, key: str, kind: str | None) -> bool:
    return kind in ("event", "info") and key in _event_fields(profile)


def _events(
    profile: Profile,
    scalars: Mapping[str, str],
    items: Mapping[str, Mapping[str, str]],
    channel: str | None = None,
) -> tuple[MappedEvent, ...]:
    """The SOE of a frame (or of one group, whose `channel` is where an SOE naming none belongs)."""
    spec = profile.events
    if spec is None:
        return ()
    sources: list[Mapping[str, str]] = [scalars] if spec.type_field in scalars else []
    # Several SOE in one frame come as items (`E1-Type=1,E1-Time=...;E2-...`), each naming its own channel.
    sources += [fields for fields in items.values() if spec.type_field in fields]
    out = []
    for fields in sources:
        code = fields.get(spec.type_field, "")
        at_raw = fields.get(spec.time_field) or scalars.get("DataTime") or ""
        named = _channel_of(fields.get(spec.channel_field))
        if named is None:
            named = channel if channel is not None else profile.default_channel
        detail = {k: fields[k] for k in spec.detail_fields if k in fields}
        out.append(MappedEvent(spec.types.get(code, ""), code, parse_local_time(at_raw), at_raw, named, detail))
    return tuple(out)


def _channel_of(value: str | None) -> str | None:
    """A channel field may hold the channel ("01") or a factor code whose digit suffix is it ("Ua01")."""
    if value is None or value.isdigit() or not value:
        return value
    digits = len(value) - len(value.rstrip("0123456789"))
    return value[-digits:] if digits else None
