"""How far decode got, per stream shard and partition-key group: the rules judge no minute whose frames may still wait.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring.rules.ports import RuleStateRepository

PREFIX = "decoded:"
NOTE_EVERY = timedelta(seconds=10)  # a container writes its note of a shard at most this often
# The rules' scheduler reads the notes this long after its tick (not a second after): a lane decoding frames that
# arrived after the tick minute has noted them by then, so the tick is not held a minute short (floor to the minute)
READ_AFTER = NOTE_EVERY + timedelta(seconds=5)
IDLE_AFTER = timedelta(minutes=10)  # a group not decoded this long before the newest one is idle or gone
FORGET_AFTER = timedelta(hours=1)  # a note not rewritten this long is a gone container's: swept
ALL = "*"  # the group of a shard decoded in one lane (parallelization 1): all of its records
GROUP_KEY = re.compile(r"g\d{1,6}")  # the listener's partition keys (iot_ingest/sinks/kinesis.py)


def group_of(partition_key: str, lanes: int) -> str | None:
    """The note group of a record: its shard's ALL when one lane decodes a shard; with several lanes its partition
    key, which Lambda keeps in one lane and in order. None: a key that is not a group's (an older listener's MN,
    a redriven record) is not noted, since one-off keys would hold the rules until they went idle."""
    if lanes <= 1:
        return ALL
    return partition_key if GROUP_KEY.fullmatch(partition_key) else None


class DecodeProgress:
    """Decode's side: after a batch is durable, note per shard and group the arrival of its newest record.

    One document per warm container and shard (`decoded:<shard>:<container>`) lists every group the container
    decoded there within IDLE_AFTER: its newest arrival (`through`) and when it saw it (`seen`, wall clock). A group's
    lane may move between containers; each entry stays true for good, so the reader takes the newest per group."""

    def __init__(self, state: RuleStateRepository, *, every: timedelta = NOTE_EVERY, container: str = "") -> None:
        self._state = state
        self._every = every
        self._container = container or uuid.uuid4().hex[:12]
        self._groups: dict[str, dict[str, tuple[datetime, datetime]]] = {}  # shard -> group -> (through, seen)
        self._written: dict[str, datetime] = {}  # shard -> when this container last wrote its note

    def note(self, shard: str, groups: Mapping[str, datetime], now: datetime) -> bool:
        """Record that every record of each group of `shard` that arrived at or before its time is decoded; False
        if not written yet (less than `every` since this container's last note of the shard: kept for the next)."""
        known = self._groups.setdefault(shard, {})
        for group, through in groups.items():
            old = known.get(group)
            known[group] = (through if old is None else max(old[0], through), now)
        for group in [g for g, (_, seen) in known.items() if now - seen > IDLE_AFTER]:
            del known[group]
        last = self._written.get(shard)
        if last is not None and now - last < self._every:
            return False
        doc = {g: [round(t.timestamp(), 3), round(s.timestamp(), 3)] for g, (t, s) in sorted(known.items())}
        self._state.put(f"{PREFIX}{shard}:{self._container}", {"noted_at": now.isoformat(), "groups": doc})
        self._written[shard] = now
        return True


def _entries(key: str, doc: Mapping[str, Any]) -> Iterator[tuple[tuple[str, str], float, float]]:
    """((shard, group), through, seen) of one note. A note from before groups (`decoded:<shard>`, one lane per
    shard) is read as that shard's ALL group: it was true when written, and goes idle like any other."""
    if "groups" in doc:
        shard = key[len(PREFIX) :].rpartition(":")[0]
        for group, (through, seen) in doc["groups"].items():
            yield (shard, group), float(through), float(seen)
    elif "through" in doc:
        noted = datetime.fromisoformat(doc["noted_at"]).timestamp()
        yield (key[len(PREFIX) :], ALL), datetime.fromisoformat(doc["through"]).timestamp(), noted


def decoded_through(
    state: RuleStateRepository,
    now: datetime,
    *,
    idle_after: timedelta = IDLE_AFTER,
    sweep: bool = False,
) -> datetime | None:
    """The time up to which every live group's records are decoded (the slowest one's); None when decode never
    noted anything (a fresh deployment, local mode, tests).

    Per (shard, group) the newest entry of any container counts. A group not seen within `idle_after` of the newest
    group seen is idle (its terminals went quiet) or gone (a shard closed by resharding) and holds nothing back;
    measured from the newest group, not from `now`, so that when decode stalls the rules are held at the slowest
    group that was live then (frames may be waiting: unknown data is not silence; the iterator-age alarm reports
    it). `sweep`: delete the notes not rewritten for FORGET_AFTER before the newest one (containers that are gone;
    measured from the newest note, not from `now`, so a stalled decode's notes stay and keep holding the rules)."""
    best: dict[tuple[str, str], tuple[float, float]] = {}
    notes = state.documents(PREFIX)
    if sweep:
        noted = {k: datetime.fromisoformat(d["noted_at"]) for k, d in notes.items() if "noted_at" in d}
        newest = min(now, max(noted.values(), default=now))
        for key in [k for k, at in noted.items() if newest - at > FORGET_AFTER]:
            state.delete(key)
            del notes[key]
    for key, doc in notes.items():
        for where, through, seen in _entries(key, doc):
            old = best.get(where)
            best[where] = (through, seen) if old is None else (max(old[0], through), max(old[1], seen))
    if not best:
        return None
    live = max(seen for _, seen in best.values()) - idle_after.total_seconds()
    return datetime.fromtimestamp(min(t for t, seen in best.values() if seen >= live), UTC)
