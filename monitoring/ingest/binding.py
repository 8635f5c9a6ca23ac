"""From a frame mapped through its profile to Reading and Event records of the points bound to the terminal.

More: docs/decode.md, "Module notes".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from monitoring.events.models import Event, EventKind, event_id_for
from monitoring.profiles.mapping import MappedEvent, MappedFrame, MappedValue
from monitoring.profiles.models import channel_key
from monitoring.readings.models import Reading, ReadingKind
from monitoring.readings.quantities import QUANTITIES
from monitoring.readings.values import OUT_OF_RANGE
from monitoring.registry.models import MonitoringPoint

_MAX_RAW = 256  # Reading.raw's limit
# Which statistic is a quantity's value, in order of preference, per data kind.
_REALTIME_ORDER = ("value", "avg")
_PERIOD_ORDER = ("avg", "value")
_COUNTER_ORDER = ("value", "max", "avg")  # a register's period value is its reading at the period's end
_CHANNEL = itemgetter(0)  # MappedValue.channel
_QUANTITY = itemgetter(1)  # MappedValue.quantity
_ORDER_FOR = {name: _COUNTER_ORDER if q.cumulative else None for name, q in QUANTITIES.items()}


@dataclass(frozen=True, slots=True)
class Bound:
    """What one frame produced for the registry: readings, SOE events, and what found no point."""

    readings: list[Reading] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    unbound_channels: frozenset[str] = frozenset()
    unmapped_events: int = 0


def secondary_ratio(quantity: str, point: MonitoringPoint) -> float:
    """The factor from a secondary (CT/PT side) value to the primary one, by the quantity's dimension."""
    dimension = QUANTITIES[quantity].dimension
    if dimension == "voltage":
        return point.pt_ratio
    if dimension == "current":
        return point.ct_ratio
    if dimension.endswith(("power", "energy")):
        return point.ct_ratio * point.pt_ratio
    return 1.0


def _points_by_channel(points: Sequence[MonitoringPoint], channels: set[str]) -> dict[str, list[MonitoringPoint]]:
    out: dict[str, list[MonitoringPoint]] = {}
    for point in points:
        key = channel_key(point.channel)
        if point.channel == "" and key not in channels and len(channels) == 1:
            key = next(iter(channels))  # a single-circuit point takes the frame's only circuit
        out.setdefault(key, []).append(point)
    return out


def _reading(
    point: MonitoringPoint,
    kind: ReadingKind,
    data_time: datetime,
    values: Sequence[MappedValue],
    unknown: Mapping[str, Mapping[str, str]],
    mn: str,
    received_at: datetime,
    secondary: bool,
) -> Reading:
    default_order = _REALTIME_ORDER if kind is ReadingKind.REALTIME else _PERIOD_ORDER
    raw: dict[str, dict[str, str]] = {code: dict(fields) for code, fields in unknown.items()}
    numbers: dict[str, float] = {}
    flags: dict[str, str] = {}
    if len(set(map(_QUANTITY, values))) == len(values):
        # One value per quantity (what terminals send): a usable value is the chosen one, the others go to raw,
        # all in one pass; the same outcome as the general path below, which ranks competing statistics.
        for v in values:
            quantity = v.quantity
            if (
                v.value is not None
                and v.stat in (_ORDER_FOR[quantity] or default_order)
                and OUT_OF_RANGE not in v.quality
            ):
                numbers[quantity] = v.value * (secondary_ratio(quantity, point) if secondary else 1.0)
                if v.flag and len(v.flag) <= 4:
                    flags[quantity] = v.flag
            else:
                fields = raw.setdefault(v.code, {})
                fields[_field_name(v.stat)] = v.raw
                if v.quality:
                    fields["quality"] = ",".join(sorted(v.quality))
    else:
        chosen: dict[str, MappedValue] = {}
        for v in values:
            order = _ORDER_FOR[v.quantity] or default_order
            if v.value is None or v.stat not in order or OUT_OF_RANGE in v.quality:
                continue
            current = chosen.get(v.quantity)
            if current is None or order.index(v.stat) < order.index(current.stat):
                chosen[v.quantity] = v
        for v in values:
            if chosen.get(v.quantity) is v:
                continue
            fields = raw.setdefault(v.code, {})
            fields[_field_name(v.stat)] = v.raw
            if v.quality:
                fields["quality"] = ",".join(sorted(v.quality))
        for q, v in chosen.items():
            numbers[q] = v.value * (secondary_ratio(q, point) if secondary else 1.0)  # type: ignore[operator]
            if v.flag and len(v.flag) <= 4:
                flags[q] = v.flag
    if len(raw) > _MAX_RAW:
        raw = dict(list(raw.items())[: _MAX_RAW - 1]) | {"_truncated": {"codes": str(len(raw))}}
    return Reading(point.point_id, data_time, kind, numbers, flags, raw, mn, received_at)


def _soe_id(mn: str, kind: EventKind, at: datetime, point_id: str | None, soe: MappedEvent) -> str:
    """Event identity: the model's (MN, kind, time, point) plus the SOE's own sequence number and factor code,
    because one instant can carry several SOE (three phases crossing a limit together)."""
    base = event_id_for(mn, kind, at, point_id)
    extra = f"{soe.detail.get('Seq', '')}|{soe.detail.get('Code', '')}"
    if extra == "|":
        return base
    return hashlib.sha256(f"{base}|{extra}".encode()).hexdigest()[:32]


def _by_channel(values: Sequence[MappedValue]) -> dict[str, list[MappedValue]]:
    """Values per channel key, in frame order. Grouped by the channel as sent first (one key per distinct name,
    not per value); merged per value, as before, only when two names are one channel ("1" and "01")."""
    by_name: dict[str, list[MappedValue]] = {}
    for name, run in groupby(values, key=_CHANNEL):  # runs of one channel: a frame lists a circuit's items together
        group = by_name.get(name)
        if group is None:
            by_name[name] = list(run)
        else:
            group.extend(run)
    keys = {name: channel_key(name) for name in by_name}
    if len(set(keys.values())) == len(keys):
        return {keys[name]: group for name, group in by_name.items()}
    out: dict[str, list[MappedValue]] = {}
    for v in values:
        out.setdefault(keys[v.channel], []).append(v)
    return out


def _field_name(stat: str) -> str:
    return {"avg": "Avg", "min": "Min", "max": "Max", "cou": "Cou"}.get(stat, "Rtd")


def bind_frame(
    mapped: MappedFrame,
    points: Sequence[MonitoringPoint],
    *,
    mn: str,
    received_at: datetime,
    secondary: bool = False,
) -> Bound:
    """Readings (one per bound point with values) and SOE events of one mapped frame."""
    by_channel = _by_channel(mapped.values)
    channels = set(by_channel) | {channel_key(e.channel) for e in mapped.events}
    bound = _points_by_channel(points, channels)
    readings: list[Reading] = []
    if mapped.reading_kind is not None and mapped.data_time is not None:
        kind = ReadingKind(mapped.reading_kind)
        for key, values in by_channel.items():
            for point in bound.get(key, []):
                readings.append(
                    _reading(point, kind, mapped.data_time, values, mapped.unknown, mn, received_at, secondary)
                )
    events: list[Event] = []
    unmapped = 0
    for e in mapped.events:
        if not e.type:
            unmapped += 1
            continue
        on_channel = bound.get(channel_key(e.channel), [])
        if not on_channel and not e.channel:
            on_channel = list(points)  # a terminal-wide SOE (no channel, e.g. power restore) concerns every circuit
        targets: list[MonitoringPoint | None] = list(on_channel) or [None]
        detail = {"code": e.code, "channel": e.channel, "time_raw": e.at_raw, **e.detail}
        if e.at is None:
            detail["time_unreadable"] = "1"
        for target in targets:
            ev_kind, at = EventKind(e.type), e.at or received_at
            point_id = target.point_id if target else None
            events.append(Event(mn, ev_kind, at, point_id, received_at, detail, _soe_id(mn, ev_kind, at, point_id, e)))
    unbound = frozenset(k for k in by_channel if k not in bound)
    return Bound(readings, events, unbound, unmapped)
