"""Platform time for the embedded runner: the wall clock, or an accelerated timeline kept in the data directory.

With `accel` > 1 (demos, tests) platform time = sim_start + (wall now − wall anchor) × accel. The anchor is written
to `<data-dir>/clock.json` on first start and read back on every restart, so a restarted platform continues the
same timeline as the simulated terminals instead of jumping back to its start.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

CLOCK_FILE = "clock.json"


@dataclass(frozen=True, slots=True)
class Timeline:
    """sim = sim_start + (wall − wall_anchor) × accel; all in UTC."""

    sim_start: datetime
    wall_anchor: float  # time.time() at sim_start
    accel: float

    def at(self, wall: float) -> datetime:
        return (self.sim_start + timedelta(seconds=(wall - self.wall_anchor) * self.accel)).astimezone(UTC)

    def wall_for(self, sim: datetime) -> float:
        """The wall time (time.time()) at which platform time reaches `sim`."""
        return self.wall_anchor + (sim - self.sim_start).total_seconds() / self.accel


class PlatformClock:
    """monitoring.clock.Clock over a Timeline (or the system clock when there is none)."""

    def __init__(self, timeline: Timeline | None = None, *, wall: Callable[[], float] = time.time) -> None:
        self.timeline = timeline
        self._wall = wall

    @property
    def accel(self) -> float:
        return self.timeline.accel if self.timeline else 1.0

    def now(self) -> datetime:
        if self.timeline is None:
            return datetime.fromtimestamp(self._wall(), UTC)
        return self.timeline.at(self._wall())

    def wall_delay(self, until: datetime) -> float:
        """Wall seconds until platform time reaches `until` (0 when past)."""
        if self.timeline is None:
            return max(0.0, (until - self.now()).total_seconds())
        return max(0.0, self.timeline.wall_for(until) - self._wall())


def load_timeline(data_dir: Path, *, accel: float, sim_start: datetime | None) -> Timeline | None:
    """The data directory's timeline; created from (accel, sim_start) on first use. accel 1 and no start: None."""
    path = data_dir / CLOCK_FILE
    if path.exists():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            stored = Timeline(datetime.fromisoformat(doc["sim_start"]), float(doc["wall_anchor"]), float(doc["accel"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: unreadable clock file ({exc}); remove it to start a new timeline") from exc
        if stored.sim_start.tzinfo is None or stored.accel <= 0:
            raise ValueError(f"{path}: sim_start must carry an offset and accel must be positive")
        if accel != 1.0 and accel != stored.accel:
            raise ValueError(
                f"{path} holds a timeline at accel {stored.accel:g}, asked for {accel:g}: use another data directory"
            )
        return stored
    if accel == 1.0 and sim_start is None:
        return None
    if accel <= 0:
        raise ValueError("accel must be positive")
    start = (sim_start or datetime.now(UTC)).astimezone(UTC)
    timeline = Timeline(start, time.time(), accel)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"sim_start": start.isoformat(), "wall_anchor": timeline.wall_anchor, "accel": accel}),
        encoding="utf-8",
    )
    tmp.replace(path)
    return timeline
