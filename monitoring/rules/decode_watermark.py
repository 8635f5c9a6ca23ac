"""How far decode got, per stream shard: the rules judge no minute whose frames may still wait to be decoded.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from monitoring.rules.ports import RuleStateRepository

PREFIX = "decoded:"
NOTE_EVERY = timedelta(seconds=10)  # decode notes its progress at most this often per shard
IDLE_AFTER = timedelta(minutes=10)  # a shard silent this long is closed or idle: it no longer holds the rules


class DecodeProgress:
    """Decode's side: after a batch is durable, note the arrival time of its newest record on its shard."""

    def __init__(self, state: RuleStateRepository, *, every: timedelta = NOTE_EVERY) -> None:
        self._state = state
        self._every = every
        self._noted: dict[str, datetime] = {}  # shard -> the last `through` written (a warm container's)

    def note(self, shard: str, through: datetime, now: datetime) -> bool:
        """Record that every record of `shard` that arrived at or before `through` is decoded; False if skipped
        (less than `every` since the last note of this container, or not newer)."""
        last = self._noted.get(shard)
        if last is not None and through - last < self._every:
            return False
        self._state.put(f"{PREFIX}{shard}", {"through": through.isoformat(), "noted_at": now.isoformat()})
        self._noted[shard] = through
        return True


def decoded_through(
    state: RuleStateRepository, now: datetime, *, idle_after: timedelta = IDLE_AFTER
) -> datetime | None:
    """The time up to which every live shard's records are decoded (the slowest one's); None when decode never
    noted anything (a fresh deployment, local mode, tests).

    A shard whose note is older than `idle_after` while others are fresh is closed (resharding) or idle and holds
    nothing back. When every note is that old, decode is stalled (or nothing arrives at all): the rules are held at
    the newest note, since frames may be waiting and unknown data is not silence (the iterator-age alarm reports
    the stall)."""
    fresh: list[datetime] = []
    stale: list[datetime] = []
    for doc in state.documents(PREFIX).values():
        through = datetime.fromisoformat(doc["through"])
        (stale if now - datetime.fromisoformat(doc["noted_at"]) > idle_after else fresh).append(through)
    if fresh:
        return min(fresh)
    return max(stale) if stale else None
