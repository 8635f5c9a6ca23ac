"""Fast read path for the rule engine: readings of many points in one query, straight to rule Samples.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from monitoring._time import from_micros, to_micros
from monitoring.evaluation.models import Sample
from monitoring.rules.sample_cache import CachedSampleReader
from monitoring.storage.sqlite.db import Database

_FIELDS = (("p", "p"), ("ia", "ia"), ("ib", "ib"), ("ic", "ic"), ("ua", "ua"), ("ub", "ub"), ("uc", "uc"))
_USED = ("p", "ia", "ib", "ic", "ua", "ub", "uc", "ep_fwd")


def _sample(data_time: int, body: str) -> Sample:
    d = json.loads(body)
    v = d.get("values", {})
    flags = d.get("flags") or {}
    bad = next((flags[q] for q in _USED if flags.get(q, "N") != "N"), "N")
    received = d.get("received_at")
    return Sample(
        from_micros(data_time),
        p=v.get("p"),
        ia=v.get("ia"),
        ib=v.get("ib"),
        ic=v.get("ic"),
        ua=v.get("ua"),
        ub=v.get("ub"),
        uc=v.get("uc"),
        energy=v.get("ep_fwd"),
        flag=bad,
        received_at=datetime.fromisoformat(received) if received else None,
    )


class SqliteSampleReader:
    """One query per call for all the points; optionally caching across ticks (a warm process), with the
    rules' CachedSampleReader: each call then reads only the last `tail_min` minutes of the cached range."""

    def __init__(self, db: Database, *, cache: bool = True, tail_min: int = 5, refresh_every: int = 15) -> None:
        self._db = db
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

    def _query(self, point_ids: Sequence[str], kind: str, lo: int, hi: int) -> dict[str, list[Sample]]:
        marks = ",".join("?" * len(point_ids))
        sql = (
            f"SELECT point_id, data_time, body FROM reading WHERE point_id IN ({marks}) AND kind = ? "
            "AND data_time >= ? AND data_time < ? ORDER BY point_id, data_time"
        )
        with self._db.read() as conn:
            rows = conn.execute(sql, (*point_ids, kind, lo, hi)).fetchall()
        out: dict[str, list[Sample]] = {}
        for pid, data_time, body in rows:
            out.setdefault(pid, []).append(_sample(data_time, body))
        return out

    def _fetch(self, point_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, list[Sample]]:
        """Minute readings, real-time readings for points without minute data in the range."""
        if not point_ids:
            return {}
        lo, hi = to_micros(start), to_micros(end)
        out = self._query(point_ids, "minute", lo, hi)
        missing = [p for p in point_ids if p not in out]
        if missing:
            out.update(self._query(missing, "realtime", lo, hi))
        return out

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        """Readings per point in [start, end), sorted by data time."""
        if self._cached is None:
            return self._fetch(point_ids, start, end)
        return self._cached.samples(point_ids, start, end)
