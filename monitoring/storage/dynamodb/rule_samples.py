"""The rule engine's read path on DynamoDB: eventually consistent window reads, cached across warm ticks.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from monitoring.evaluation.models import Sample
from monitoring.readings.models import Reading, ReadingKind
from monitoring.rules.sample_cache import CachedSampleReader, to_sample
from monitoring.storage.dynamodb._client import time_key


class KeyedReadings(Protocol):
    """Where the windows are read: DynamoDBReadingsRepository, or the county host's buffer over it
    (local/reading_buffer.py BufferedReadings)."""

    def settled_readings_keyed(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, known: Container[str]
    ) -> list[tuple[str, Reading | None]]: ...


class DynamoDBSampleReader:
    """Minute readings per point (real-time ones where a point has no minute data in the range)."""

    def __init__(
        self,
        readings: KeyedReadings,
        *,
        cache: bool = True,
        tail_min: int = 5,
        refresh_every: int = 60,
    ) -> None:
        self._readings = readings
        # Per point and kind, the samples its last reads decoded, by sort key: the next tick's tail overlaps them
        self._decoded: dict[tuple[str, ReadingKind], dict[str, Sample]] = {}
        self._cached = (
            CachedSampleReader(self._fetch, tail=timedelta(minutes=tail_min), refresh_every=refresh_every)
            if cache
            else None
        )

    @property
    def cache(self) -> CachedSampleReader | None:
        """The windows kept across ticks (None: not caching), for the rules' per-shard snapshots."""
        return self._cached

    def invalidate(self, point_ids: Sequence[str]) -> None:
        if self._cached is not None:
            self._cached.invalidate(point_ids)

    def _read(self, pid: str, kind: ReadingKind, start: datetime, end: datetime) -> list[Sample]:
        """The point's readings of `kind` in [start, end) as samples. A warm tick re-reads a tail it read a minute
        ago: the readings decoded then are taken as they were (a stored reading never changes), not decoded again;
        what is remembered is what this read saw plus what earlier reads saw from `start` on."""
        known = self._decoded.get((pid, kind), {})
        rows = self._readings.settled_readings_keyed(pid, kind, start, end, known)
        seen = {key: known[key] if reading is None else to_sample(reading) for key, reading in rows}
        since = time_key(start)
        kept = {key: sample for key, sample in known.items() if key >= since and key not in seen}
        self._decoded[(pid, kind)] = {**kept, **seen}
        return list(seen.values())

    def _fetch(self, point_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, list[Sample]]:
        out: dict[str, list[Sample]] = {}
        for pid in point_ids:
            rows = self._read(pid, ReadingKind.MINUTE, start, end)
            if not rows:
                rows = self._read(pid, ReadingKind.REALTIME, start, end)
            if rows:
                out[pid] = rows
        return out

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        if self._cached is None:
            return self._fetch(point_ids, start, end)
        return self._cached.samples(point_ids, start, end)
