"""Readings kept by point for the sample cache's tests, with every fetch asked of them recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from monitoring.evaluation.models import Sample
from tests.unit.monitoring.rules.world import MIN


class Stored:
    """Readings by point, and every fetch asked of them."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Sample]] = {}
        self.asked: list[tuple[tuple[str, ...], datetime, datetime]] = []

    def add(self, pid: str, t: datetime, p: float) -> None:
        self.rows.setdefault(pid, []).append(Sample(t, p=p))
        self.rows[pid].sort(key=lambda s: s.at)

    def fetch(self, pids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        self.asked.append((tuple(pids), start, end))
        out = {pid: [s for s in self.rows.get(pid, []) if start <= s.at < end] for pid in pids}
        return {pid: rows for pid, rows in out.items() if rows}

    def read_minutes(self) -> int:
        """Point-minutes asked for so far."""
        return sum(len(pids) * int((end - start) / MIN) for pids, start, end in self.asked)
