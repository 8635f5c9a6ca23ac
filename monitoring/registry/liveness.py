"""Liveness sheets: a county's terminals' last frame times, many terminals to one registry document.

A warm decode process (the county host's) writes each sheet at most once every few minutes instead of rewriting
every terminal's item; readers show the later of the item's and the sheet's time. More: docs/decode.md,
"Liveness sheets".
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring.errors import InvalidInputError
from monitoring.registry.models import check_id, check_mn
from monitoring.registry.terminal import Terminal

# Sheets per county: fixed, so a reader finds a terminal's sheet from its MN alone. At 1,500 terminals a sheet
# holds ≈ 23 (one write unit); at 8,400 ≈ 131 (≈ 5 KB); DynamoDB's item limit (400 KB) is ≈ 10^4 a sheet.
LIVENESS_SHEETS = 64
# At each write, entries more than KEEP before the writer's clock (a terminal moved to another county or retired)
# and more than AHEAD after it (a clock that jumped, a hostile write) are dropped (`LivenessSheet.merged`).
KEEP = timedelta(days=35)
AHEAD = timedelta(days=1)
_LATEST = 10**10  # epoch seconds in 2286: a larger stored time is refused


def liveness_sheet(mn: str) -> int:
    """The sheet (0 … LIVENESS_SHEETS − 1) that holds `mn` in its county."""
    return zlib.crc32(mn.encode()) % LIVENESS_SHEETS


def seen_later(terminal: Terminal, at: datetime | None) -> Terminal:
    """The terminal as readers show it: a later frame time from its sheet wins, and such a frame means online
    (as `record_terminal_seen` would have written it)."""
    if at is None or (terminal.last_frame_at is not None and at <= terminal.last_frame_at):
        return terminal
    return replace(terminal, online=True, last_frame_at=at)


def _seconds(at: datetime) -> int:
    return int(at.timestamp())  # floored: the sheet never claims a frame later than it came


@dataclass(frozen=True, slots=True)
class LivenessSheet:
    """One stored sheet: MN → the epoch second of its last frame, with the document's version."""

    county_id: str
    sheet: int
    seen: Mapping[str, int] = field(default_factory=dict)
    version: int = 0  # 0: not stored yet

    def __post_init__(self) -> None:
        check_id(self.county_id, "county_id")
        if not 0 <= self.sheet < LIVENESS_SHEETS:
            raise InvalidInputError(f"liveness sheet {self.sheet} out of range")

    @property
    def key(self) -> str:
        return f"{self.county_id}#{self.sheet}"

    def time_of(self, mn: str) -> datetime | None:
        at = self.seen.get(mn)
        return None if at is None else datetime.fromtimestamp(at, UTC)

    def times(self) -> dict[str, datetime]:
        return {mn: datetime.fromtimestamp(at, UTC) for mn, at in self.seen.items()}

    def merged(self, times: Mapping[str, datetime], now: datetime) -> LivenessSheet:
        """This sheet with later times taken in (next version); itself when nothing changes. `now` is the writer's
        clock: times more than AHEAD after it (a clock that jumped, a hostile write) and entries more than KEEP
        before it (a terminal moved or retired) are dropped, whatever the other times (a requeued old frame)."""
        oldest, latest = _seconds(now - KEEP), _seconds(now + AHEAD)
        later = {}
        for mn, at in times.items():
            if liveness_sheet(mn) != self.sheet:
                raise InvalidInputError(f"MN {mn!r} belongs to sheet {liveness_sheet(mn)}, not {self.sheet}")
            second = _seconds(at)
            if second > self.seen.get(mn, -1) and oldest <= second <= latest:
                later[mn] = second
        kept = {mn: at for mn, at in self.seen.items() if oldest <= at <= latest}
        if not later and len(kept) == len(self.seen):
            return self
        return replace(self, seen=dict(sorted({**kept, **later}.items())), version=self.version + 1)

    def body(self) -> dict[str, Any]:
        return {"county_id": self.county_id, "sheet": self.sheet, "seen": dict(self.seen), "version": self.version}

    @classmethod
    def from_body(cls, body: Mapping[str, Any], key: str | None = None) -> LivenessSheet:
        """A stored sheet, checked as input from outside: InvalidInputError for anything malformed, including an
        entry that belongs to another sheet and, with `key`, a body stored under another key."""
        seen, sheet, version = body.get("seen"), body.get("sheet"), body.get("version", 0)
        if not isinstance(seen, Mapping):
            raise InvalidInputError("liveness sheet without its times")
        for name, value in (("sheet", sheet), ("version", version)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidInputError(f"liveness sheet: {name} {value!r} is not a whole number")
        for mn, at in seen.items():
            check_mn(mn)
            if not isinstance(at, int) or isinstance(at, bool) or not 0 <= at < _LATEST:
                raise InvalidInputError(f"liveness sheet: time of {mn!r} is not whole seconds in range")
            if liveness_sheet(mn) != sheet:
                raise InvalidInputError(f"liveness sheet {sheet}: MN {mn!r} belongs to sheet {liveness_sheet(mn)}")
        found = cls(str(body.get("county_id")), sheet, dict(seen), version)  # type: ignore[arg-type]
        if key is not None and found.key != key:
            raise InvalidInputError(f"liveness sheet {found.key!r} stored under {key!r}")
        return found
