"""Fast read path for the rule engine: readings of many points in one query, straight to rule Samples.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from monitoring._time import from_micros, to_micros
from monitoring.evaluation.models import Sample
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
    """One query per call for all the points; optionally caching across ticks (a warm process).

    Stored readings never change (the first write of a (point, kind, data_time) wins), so a cached range
    stays true except for readings that arrive later with older data times. Each call therefore re-reads the
    last `tail` of the cached range, re-reads a point fully every `refresh_every` calls (staggered), and
    drops points named by `invalidate` (the engine passes the points with backfill marks).
    """

    def __init__(self, db: Database, *, cache: bool = True, tail_min: int = 5, refresh_every: int = 15) -> None:
        self._db = db
        self._cache_on = cache
        self._tail = tail_min * 60_000_000
        self._refresh_every = max(refresh_every, 1)
        self._cache: dict[str, tuple[int, int, list[Sample]]] = {}
        self._calls: dict[str, int] = {}

    def invalidate(self, point_ids: Sequence[str]) -> None:
        for pid in point_ids:
            self._cache.pop(pid, None)

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

    def _fetch(self, point_ids: Sequence[str], lo: int, hi: int) -> dict[str, list[Sample]]:
        """Minute readings, real-time readings for points without minute data in the range."""
        if not point_ids:
            return {}
        out = self._query(point_ids, "minute", lo, hi)
        missing = [p for p in point_ids if p not in out]
        if missing:
            out.update(self._query(missing, "realtime", lo, hi))
        return out

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        """Readings per point in [start, end), sorted by data time."""
        lo, hi = to_micros(start), to_micros(end)
        if not self._cache_on:
            return self._fetch(point_ids, lo, hi)
        full: list[str] = []
        tails: dict[int, list[str]] = {}
        for pid in point_ids:
            n = self._calls[pid] = self._calls.get(pid, 0) + 1
            hit = self._cache.get(pid)
            if hit is None or hit[0] > lo or hit[1] > hi or (n + zlib.crc32(pid.encode())) % self._refresh_every == 0:
                full.append(pid)
            else:
                tails.setdefault(max(hit[1] - self._tail, lo), []).append(pid)
        fresh = self._fetch(full, lo, hi)
        for pid in full:
            self._cache[pid] = (lo, hi, fresh.get(pid, []))
        for since, pids in tails.items():
            got = self._fetch(pids, since, hi)
            for pid in pids:
                _, _, rows = self._cache[pid]
                kept = [s for s in rows if lo <= to_micros(s.at) < since]
                self._cache[pid] = (lo, hi, kept + got.get(pid, []))
        return {pid: self._cache[pid][2] for pid in point_ids if self._cache[pid][2]}
