"""The listener's put notes: per task, the newest time it put a record of each stream group, and its floor.

More: docs/rules.md, "Module notes" (`decode_watermark.py`).
"""

from __future__ import annotations

import base64
import math
import re
import zlib
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

PREFIX = "put:"  # one rule-state document per listener task: `put:<task>`
NOTE_EVERY = timedelta(seconds=10)  # a task rewrites its note at least this often
# A group's put is kept in the note this long: less than decode keeps a group in its notes (decode_watermark.py
# IDLE_AFTER, counted from its decoding, which comes after the put), so a put never outlives its decode entry; a
# group still waiting by then is in the scheduler's memory (decode_watermark.HELD), found by a tick in between.
KEEP = timedelta(minutes=9)
GROUP = re.compile(r"g(\d{1,6})")  # the listener's partition keys (iot_ingest/sinks/kinesis.py)
_ABSENT = 0xFFFF  # no put of the group (or none within 18 hours)


@dataclass(frozen=True, slots=True)
class PutNote:
    """What one task said: every record it puts after `noted_at` arrives at or after `floor` (its clock, less
    clock skew); its newest put of each group (whole seconds, at or before the true time)."""

    task: str
    noted_at: float
    floor: float
    closed: bool  # the task stopped: it puts nothing more
    puts: dict[str, float]
    stream_groups: int | None = None  # the task's group count (None: a note from before it was written)


def note_doc(
    noted_at: float, floor: float, puts: Mapping[str, float], *, closed: bool = False, stream_groups: int | None = None
) -> dict[str, Any]:
    """The stored document: the groups' put times as ages in seconds before `noted_at`, two bytes per group number
    up to the highest one put, zlib-compressed (at 16,128 groups a task's note is a few KB, not ≈ 300 KB of JSON);
    puts older than KEEP are left out; `stream_groups`, the task's group count, lets the reader see a change of it
    under way (the same group name on two shards)."""
    base = int(noted_at)
    ages: dict[int, int] = {}
    for group, at in puts.items():
        m = GROUP.fullmatch(group)
        age = base - int(at)
        if m is not None and noted_at - at <= KEEP.total_seconds():
            ages[int(m.group(1))] = max(0, age)
    packed = array("H", [ages.get(k, _ABSENT) for k in range(max(ages, default=-1) + 1)])
    if packed.itemsize != 2:  # pragma: no cover - every platform Python supports has 2-byte unsigned shorts
        raise RuntimeError("array('H') is not 2 bytes here")
    data = base64.b64encode(zlib.compress(packed.tobytes(), 6)).decode()
    floor_ms = math.floor(floor * 1000) / 1000  # never later than the true floor
    doc = {"noted_at": noted_at, "base": base, "floor": floor_ms, "closed": closed, "ages": data}
    return doc if stream_groups is None else doc | {"groups": stream_groups}


def read_note(key: str, doc: Mapping[str, Any]) -> PutNote:
    """A stored note back (ValueError/KeyError/zlib.error on a damaged one: the reader skips it)."""
    packed = array("H")
    packed.frombytes(zlib.decompress(base64.b64decode(str(doc["ages"]))))
    base = int(doc["base"])
    puts = {f"g{k}": float(base - age) for k, age in enumerate(packed) if age != _ABSENT}
    count = doc.get("groups")
    groups = int(count) if count is not None else None
    return PutNote(key[len(PREFIX) :], float(doc["noted_at"]), float(doc["floor"]), bool(doc["closed"]), puts, groups)
