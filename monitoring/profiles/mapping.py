"""Apply a protocol profile to one frame's data area: values per channel and quantity, events, GPS.

Pure: takes ST, CN and the CP mapping (hj212's `CP.scalars` / `CP.items`, strings as received) and
returns a `MappedFrame`. Whatever the profile does not map is returned in `unknown`, never dropped, so
the decode service can store it visibly next to the reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from monitoring.profiles.models import META_FIELDS, READING_KINDS, VALUE_FIELDS, Profile
from monitoring.readings.values import convert, parse_local_time

# Scalars that are part of the protocol, not data: they are not "unknown".
_KNOWN_SCALARS = frozenset({"DataTime", "QnRtn", "ExeRtn", "BeginTime", "EndTime", "PolId", "InfoId"})


@dataclass(frozen=True, slots=True)
class MappedValue:
    """One CP item field mapped to a quantity on a channel, converted."""

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
    profile: Profile, st: str | None, cn: str | None, scalars: Mapping[str, str], items: Mapping[str, Mapping[str, str]]
) -> MappedFrame:
    """Map one frame's CP through `profile`."""
    rule = profile.message_for(st, cn)
    kind = rule.kind if rule else None
    data_time_raw = scalars.get("DataTime")
    data_time = parse_local_time(data_time_raw)
    values: list[MappedValue] = []
    unknown: dict[str, dict[str, str]] = {}
    # GPS is named "CODE" (its value fields) or "CODE-Field" (one field of an item, e.g. GPS-Lat).
    gps_codes = {spec.split("-")[0]: axis for axis, spec in profile.gps.items() if "-" not in spec}
    gps_fields = {tuple(spec.split("-", 1)): axis for axis, spec in profile.gps.items() if "-" in spec}
    gps: dict[str, float] = {}
    event_fields = _event_fields(profile)
    for code, fields in items.items():
        flag = fields.get("Flag")
        leftover: dict[str, str] = {}
        mapped_any = False
        for fld, raw in fields.items():
            if fld in event_fields and code not in gps_codes:
                continue
            if (code, fld) in gps_fields:
                converted = convert(raw, "", 1.0)
                if converted.value is not None:
                    gps[gps_fields[(code, fld)]] = converted.value
                continue
            if code in gps_codes and fld in VALUE_FIELDS:
                converted = convert(raw, "", 1.0)
                if converted.value is not None:
                    gps[gps_codes[code]] = converted.value
                continue
            hit = profile.factor_for(code, fld) if fld in VALUE_FIELDS else None
            if hit is None:
                leftover[fld] = raw
                continue
            factor, channel = hit
            mapped_any = True
            c = convert(raw, factor.quantity, factor.scale)
            values.append(MappedValue(channel, factor.quantity, VALUE_FIELDS[fld], c.value, raw, c.quality, flag, code))
        # Keep what was not mapped, with its flag, unless all that is left are the flags of mapped values.
        if leftover and (not set(leftover) <= META_FIELDS or not mapped_any):
            unknown[code] = leftover
    events = _events(profile, scalars, items) if kind in ("event", "info") else ()
    extra = {k: v for k, v in scalars.items() if k not in _KNOWN_SCALARS and not _is_event_scalar(profile, k, kind)}
    if extra:
        unknown[""] = extra
    position = (gps["lat"], gps["lon"]) if "lat" in gps and "lon" in gps else None
    return MappedFrame(kind, data_time, data_time_raw, tuple(values), events, position, unknown)


def _event_fields(profile: Profile) -> frozenset[str]:
    spec = profile.events
    if spec is None:
        return frozenset()
    return frozenset({spec.type_field, spec.time_field, spec.channel_field, *spec.detail_fields})


def _is_event_scalar(profile: Profile, key: str, kind: str | None) -> bool:
    return kind in ("event", "info") and key in _event_fields(profile)


def _events(
    profile: Profile, scalars: Mapping[str, str], items: Mapping[str, Mapping[str, str]]
) -> tuple[MappedEvent, ...]:
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
        channel = _channel_of(fields.get(spec.channel_field))
        detail = {k: fields[k] for k in spec.detail_fields if k in fields}
        out.append(
            MappedEvent(
                spec.types.get(code, ""),
                code,
                parse_local_time(at_raw),
                at_raw,
                channel if channel is not None else profile.default_channel,
                detail,
            )
        )
    return tuple(out)


def _channel_of(value: str | None) -> str | None:
    """A channel field may hold the channel ("01") or a factor code whose digit suffix is it ("Ua01")."""
    if value is None or value.isdigit() or not value:
        return value
    digits = len(value) - len(value.rstrip("0123456789"))
    return value[-digits:] if digits else None
