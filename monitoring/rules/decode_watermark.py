"""How far decode got, per stream shard and partition-key group: the rules judge no minute whose frames may still wait.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring.rules import put_notes
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
PUT_GONE = timedelta(minutes=10)  # a listener task's put note not rewritten this long: a crashed task's, swept
SKEW = timedelta(seconds=2)  # listener clocks against Kinesis' arrival times, and put notes' whole seconds
HELD = "decode-held"  # the scheduler's memory: its last answer, and the groups found waiting well behind
REMEMBER_BEHIND = timedelta(seconds=30)  # a waiting group this far behind is remembered (not one a note's lag behind)
REMEMBER_MAX = 2_000  # groups remembered at most (the slowest): HELD stays one small item even when decode stalls
# A waiting group whose newest put is this much older than the newest put of any group holds no more (released).
# At least 20 minutes (put_notes.KEEP + PUT_GONE and READ_AFTER): a put still in a task's note is never released,
# so a released group is in no note and not in HELD, and is released once.
HOLD_MAX = timedelta(minutes=60)


def group_of(partition_key: str, lanes: int) -> str | None:
    """The note group of a record: its partition key when it is a group's (`g<k>`), whatever the lanes (Lambda keeps
    a key in one lane and in order, however many lanes the stream has while DECODE_PARALLELIZATION changes); another
    key (an older listener's MN) is its shard's ALL with one lane, else None: not noted, since one-off keys would
    hold the rules until they went idle."""
    if GROUP_KEY.fullmatch(partition_key):
        return partition_key
    return ALL if lanes <= 1 else None


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
        self._unwritten: set[str] = set()  # shards whose progress is not in their written note yet

    def note(self, shard: str, groups: Mapping[str, datetime], now: datetime) -> bool:
        """Record that every record of each group of `shard` that arrived at or before its time is decoded; False
        if not written yet (less than `every` since this container's last note of the shard: kept for the next).
        Every other shard of this container with progress kept that long is written too: its next batch may go to
        another container, and the kept progress would be lost."""
        known = self._groups.setdefault(shard, {})
        for group, through in groups.items():
            old = known.get(group)
            known[group] = (through if old is None else max(old[0], through), now)
        self._unwritten.add(shard)
        wrote = False
        for due in sorted(self._unwritten):
            last = self._written.get(due)
            if last is None or now - last >= self._every:
                self._write(due, now)
                wrote = wrote or due == shard
        return wrote

    def _write(self, shard: str, now: datetime) -> None:
        known = self._groups.setdefault(shard, {})
        for group in [g for g, (_, seen) in known.items() if now - seen > IDLE_AFTER]:
            del known[group]
        doc = {g: [round(t.timestamp(), 3), round(s.timestamp(), 3)] for g, (t, s) in sorted(known.items())}
        self._state.put(f"{PREFIX}{shard}:{self._container}", {"noted_at": now.isoformat(), "groups": doc})
        self._written[shard] = now
        self._unwritten.discard(shard)


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


@dataclass(frozen=True, slots=True)
class Released:
    """A waiting group that held the rules longer than the bound (HOLD_MAX) and holds them no more."""

    group: str
    put: datetime  # its newest put
    decoded: datetime | None  # how far decode noted it (None: never, or forgotten)


@dataclass(frozen=True, slots=True)
class Horizon:
    through: datetime | None  # see decoded_through
    released: tuple[Released, ...] = ()


def decoded_through(
    state: RuleStateRepository,
    now: datetime,
    *,
    idle_after: timedelta = IDLE_AFTER,
    sweep: bool = False,
    lanes: int = 1,
    hold_max: timedelta = HOLD_MAX,
) -> datetime | None:
    """The time up to which every record put into the stream is decoded (`decode_horizon`'s time)."""
    return decode_horizon(state, now, idle_after=idle_after, sweep=sweep, lanes=lanes, hold_max=hold_max).through


def decode_horizon(
    state: RuleStateRepository,
    now: datetime,
    *,
    idle_after: timedelta = IDLE_AFTER,
    sweep: bool = False,
    lanes: int = 1,
    hold_max: timedelta = HOLD_MAX,
) -> Horizon:
    """The time up to which every record put into the stream is decoded; None when decode never noted anything and
    no listener task noted its puts (a fresh deployment, local mode, tests); and the groups released this time.

    With the listener's put notes (`put:<task>`, monitoring/rules/put_notes.py) nothing is guessed: a group whose
    newest decoded arrival is at or after its newest put (less SKEW) has nothing waiting; one whose decode is behind
    its puts holds the rules at its decoded time (or, once decode's notes forgot it, at the time the scheduler
    remembered in HELD) until its newest put is `hold_max` older than the newest put of any group (released); a
    task's open note holds them at its floor (records it puts later arrive after it), so a crashed task's holds
    until PUT_GONE, then it is swept. With one lane per shard (`lanes` 1: decode's DECODE_PARALLELIZATION) a group
    is decoded as far as its shard. Without put notes (an older listener) the slowest group seen within
    `idle_after` of the newest one counts (`_guessed`). `sweep` (the scheduler): delete gone notes, keep HELD."""
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
    puts = _put_notes(state, now, sweep)
    if puts:
        mixed = len({n.stream_groups for n in puts}) > 1  # a change of stream_groups under way
        through, released = _held(state, _done(best, lanes, mixed), puts, now, sweep, hold_max.total_seconds())
        return Horizon(datetime.fromtimestamp(through, UTC), released)
    if not best:
        return Horizon(None)
    return Horizon(datetime.fromtimestamp(_guessed(best, idle_after), UTC))


def _done(best: Mapping[tuple[str, str], tuple[float, float]], lanes: int, mixed: bool) -> dict[str, float]:
    """Group -> newest decoded arrival, over shards (a resharded group: parent first). With one lane per shard
    that lane decodes its shard in order, so any group's note of the shard counts for every group noted there:
    a group whose own newest note was lost (a container's throttled note, the container then reclaimed) is not
    held by it. With several lanes only the group's own notes count. `mixed` (tasks with different stream_groups
    put the same group name to different shards): the slowest shard of a group counts, not the newest."""
    shard_done: dict[str, float] = {}
    if lanes <= 1:
        for (shard, _), (through, _) in best.items():
            shard_done[shard] = max(shard_done.get(shard, through), through)
    done: dict[str, float] = {}
    for (shard, group), (through, _) in best.items():
        if group != ALL:
            at = max(through, shard_done.get(shard, through))
            done[group] = (min if mixed else max)(done.get(group, at), at)
    return done


def _guessed(best: Mapping[tuple[str, str], tuple[float, float]], idle_after: timedelta) -> float:
    """Without put notes: a group not seen within `idle_after` of the newest group seen is taken as idle (its
    terminals went quiet) or gone and holds nothing back; measured from the newest group, not from `now`, so when
    decode stalls altogether the rules stay at the slowest group live then. A stuck lane looks idle after
    `idle_after`: the reason for put notes."""
    live = max(seen for _, seen in best.values()) - idle_after.total_seconds()
    return min(t for t, seen in best.values() if seen >= live)


def _put_notes(state: RuleStateRepository, now: datetime, sweep: bool) -> list[put_notes.PutNote]:
    """The listener tasks' notes younger than PUT_GONE (older ones swept when `sweep`); damaged ones skipped."""
    found: list[put_notes.PutNote] = []
    for key, doc in state.documents(put_notes.PREFIX).items():
        try:
            note = put_notes.read_note(key, doc)
        except (KeyError, TypeError, ValueError, zlib.error):
            continue
        if now.timestamp() - note.noted_at > PUT_GONE.total_seconds():
            if sweep:
                state.delete(key)
            continue
        found.append(note)
    return found


def _remembered(doc: Mapping[str, Any] | None) -> dict[str, tuple[float, float]]:
    """HELD as the scheduler wrote it: group -> (decoded through, newest put) of each group found waiting."""
    out: dict[str, tuple[float, float]] = {}
    for group, pair in dict((doc or {}).get("groups", {})).items():
        try:
            out[str(group)] = (float(pair[0]), float(pair[1]))
        except (TypeError, ValueError, IndexError, KeyError):
            continue
    return out


def _held(
    state: RuleStateRepository,
    done: Mapping[str, float],
    puts: list[put_notes.PutNote],
    now: datetime,
    sweep: bool,
    hold_max: float,
) -> tuple[float, tuple[Released, ...]]:
    newest: dict[str, float] = {}
    oldest: dict[str, float] = {}  # over tasks: where to hold a group decode never noted
    for note in puts:
        for group, at in note.puts.items():
            newest[group] = max(newest.get(group, at), at)
            oldest[group] = min(oldest.get(group, at), at)
    held = state.get(HELD) or {}
    remembered = _remembered(held)
    before = held.get("through")  # the last answer: no record put after it was noted arrived before it
    candidates = dict(newest)
    for group, (_, put) in remembered.items():  # waiting groups whose puts left the notes (put_notes.KEEP)
        candidates[group] = max(candidates.get(group, put), put)
    skew = SKEW.total_seconds()
    # Measured from the newest put, not from now: when the listener stops putting altogether nothing is released
    quiet_before = max(candidates.values(), default=now.timestamp()) - hold_max
    waiting: dict[str, tuple[float, float]] = {}  # group -> (decoded through, newest put)
    released: list[Released] = []
    for group, put in candidates.items():
        decoded = done.get(group)
        if decoded is not None and decoded >= put - skew:
            continue  # everything put is decoded
        known = [t for t in (decoded, remembered.get(group, (None, 0.0))[0]) if t is not None]
        if put < quiet_before:  # quiet for longer than the bound with an undecoded put: judged without it
            when = datetime.fromtimestamp(max(known), UTC) if known else None
            released.append(Released(group, datetime.fromtimestamp(put, UTC), when))
            continue
        if known:
            at = max(known)
        else:  # decode never noted it, or forgot it: at most as far as the last answer (none yet: its oldest put)
            at = float(before) if isinstance(before, int | float) else oldest.get(group, put) - skew
        waiting[group] = (round(at, 3), round(put, 3))
    holds = [n.floor - skew for n in puts if not n.closed] + [at for at, _ in waiting.values()]
    through = min(holds, default=now.timestamp())
    if sweep:
        behind = now.timestamp() - REMEMBER_BEHIND.total_seconds()
        keep = sorted((w[0], g) for g, w in waiting.items() if w[0] <= behind)[:REMEMBER_MAX]
        kept = {g: list(waiting[g]) for _, g in sorted(keep, key=lambda k: k[1])}
        state.put(HELD, {"through": round(through, 3), "groups": kept})
    return through, tuple(sorted(released, key=lambda r: r.group))
