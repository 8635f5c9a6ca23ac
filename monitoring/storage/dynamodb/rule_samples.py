"""The rule engine's read path on DynamoDB: eventually consistent window reads, cached across warm ticks.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from monitoring.evaluation.models import Sample
from monitoring.readings.models import ReadingKind
from monitoring.rules.sample_cache import CachedSampleReader, to_sample
from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository


class DynamoDBSampleReader:
    """Minute readings per point (real-time ones where a point has no minute data in the range)."""

    def __init__(
        self,
        readings: DynamoDBReadingsRepository,
        *,
        cache: bool = True,
        tail_min: int = 5,
        refresh_every: int = 60,
    ) -> None:
        self._readings = readings
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

    def _fetch(self, point_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, list[Sample]]:
        out: dict[str, list[Sample]] = {}
        for pid in point_ids:
            rows = self._readings.settled_readings(pid, ReadingKind.MINUTE, start, end)
            if not rows:
                rows = self._readings.settled_readings(pid, ReadingKind.REALTIME, start, end)
            if rows:
                out[pid] = [to_sample(r) for r in rows]
        return out

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        if self._cached is None:
            return self._fetch(point_ids, start, end)
        return self._cached.samples(point_ids, start, end)
