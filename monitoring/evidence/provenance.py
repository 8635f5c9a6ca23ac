"""Which archived frame each stored value came from: the frame decoded again with the terminal's profile, and the
value found among its fields (factor code, raw text, factor from raw to stored value)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import hj212
from monitoring.archive.models import RawFrame
from monitoring.ingest.binding import secondary_ratio
from monitoring.profiles.mapping import MappedValue, map_frame
from monitoring.profiles.models import Profile, channel_key
from monitoring.readings.models import Reading
from monitoring.registry.models import MonitoringPoint


@dataclass(frozen=True, slots=True)
class Source:
    """A value's place in a frame: the frame's id in the package (its chain seq, or on AWS "<link seq>-<position>"),
    DataTime as sent, factor code, raw text, and raw → stored factor (None when the raw value is 0: any factor fits)."""

    seq: str
    data_time_raw: str
    code: str
    raw: str
    factor: float | None


@dataclass(frozen=True, slots=True)
class _Decoded:
    seq: str
    data_time_raw: str
    values: tuple[MappedValue, ...]


class FrameIndex:
    """One terminal's frames of the window, (package id, record), decoded once, by (reading kind, data time)."""

    def __init__(self, frames: Sequence[tuple[str, RawFrame]], profile: Profile) -> None:
        self.profile = profile
        self._by_time: dict[tuple[str, datetime], list[_Decoded]] = {}
        layouts = hj212.LayoutCache()
        for frame_id, record in frames:
            try:
                frame = hj212.decode_frame(record.raw, accept_modbus_crc=record.crc == "modbus", layouts=layouts)
            except hj212.BadFrameError:
                continue  # kept in the package as received; it made no reading
            cp = frame.cp
            mapped = map_frame(profile, frame.st, frame.cn, cp.scalars, cp.items, cp.groups)
            if mapped.reading_kind is None or mapped.data_time is None:
                continue
            key = (mapped.reading_kind, mapped.data_time)
            decoded = _Decoded(frame_id, mapped.data_time_raw or "", mapped.values)
            self._by_time.setdefault(key, []).append(decoded)

    def sources(self, reading: Reading, point: MonitoringPoint) -> Mapping[str, Source]:
        """The source of each of the reading's values that a frame of the window holds (split uploads: any packet)."""
        out: dict[str, Source] = {}
        wanted = channel_key(point.channel)
        for decoded in self._by_time.get((reading.kind.value, reading.data_time), ()):
            keys = {channel_key(v.channel) for v in decoded.values}
            channel = next(iter(keys)) if point.channel == "" and len(keys) == 1 and wanted not in keys else wanted
            for v in decoded.values:
                if v.quantity in out or v.value is None or channel_key(v.channel) != channel:
                    continue
                stored = reading.values.get(v.quantity)
                if stored is None:
                    continue
                ratio = secondary_ratio(v.quantity, point) if self.profile.secondary_values else 1.0
                if not math.isclose(v.value * ratio, stored, rel_tol=1e-9, abs_tol=1e-9):
                    continue
                try:
                    raw = float(v.raw)
                except ValueError:
                    continue
                factor = stored / raw if raw != 0 else None
                out[v.quantity] = Source(decoded.seq, decoded.data_time_raw, v.code, v.raw, factor)
        return out
