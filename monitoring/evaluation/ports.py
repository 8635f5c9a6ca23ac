"""What a rule evaluation reads: the registry's topology and stored readings and events, in the engine's types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from monitoring.evaluation.models import Sample, TerminalEvent, Topology


class RuleInputs(Protocol):
    """Read side: the registry and stored readings/events, in the rule engine's own types."""

    def topology(self) -> Topology: ...

    def begin_tick(self, now: datetime) -> None:
        """An evaluation tick at processing time `now` starts (inputs kept across ticks catch up)."""
        ...

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        """Readings with data time in [start, end) per point, sorted by data time, one per data time."""
        ...

    def events(self, mns: Sequence[str], start: datetime, end: datetime) -> list[TerminalEvent]:
        """Terminal events with time in [start, end)."""
        ...

    def late_arrivals(self, received_since: datetime, data_before: datetime) -> Mapping[str, datetime]:
        """For readings received at or after `received_since` with data time before `data_before`: the earliest
        such data time per point. This is how backfill reopens windows already evaluated."""
        ...


class SampleReader(Protocol):
    """A faster way to read many points' readings as Samples (e.g. the sqlite one-query reader)."""

    def samples(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]: ...

    def invalidate(self, point_ids: Sequence[str]) -> None:
        """Forget anything cached for these points (late data arrived for them)."""
        ...
