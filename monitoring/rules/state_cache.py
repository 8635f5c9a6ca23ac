"""Rule-state documents kept across the warm ticks of a container, trusted only while its own tick mark is on top.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitoring.rules.ports import RuleStateRepository
from monitoring.rules.refresh_turns import RefreshTurns, minute_of
from monitoring.rules.state_docs import DailyFigures, EnterpriseStatus, Watermarks

# An enterprise's own documents: written by the rule ticks that evaluate it and by nothing else.
ENTERPRISE_PREFIXES = tuple(kind.key_of("") for kind in (Watermarks, DailyFigures, EnterpriseStatus))


def _text(doc: dict[str, Any] | None) -> str | None:
    return None if doc is None else json.dumps(doc, sort_keys=True, separators=(",", ":"))


@dataclass(slots=True)
class _Entry:
    text: str | None  # canonical JSON, or None: the store has no such document
    tick_key: str  # the tick mark under which it was last read or written


class RuleStateCache:
    """Enterprise documents (watermarks, daily figures, status) a warm container read or wrote in its last tick
    under a tick mark key, served again at its next tick under that key while the mark still carries the stamp
    this container saved: no other tick of that key ran in between, so none of them changed. Another stamp (the
    shard ran in another container), a tick that failed here, or an enterprise the tick no longer evaluates drops
    them; each is read again once every `refresh` of tick time all the same, staggered by key (refresh_turns.py).
    Only the `max_keys` tick keys committed last keep documents (a worker sent many shards in turn holds a few
    shards' worth in memory)."""

    def __init__(
        self,
        *,
        refresh: timedelta = timedelta(minutes=15),
        max_keys: int = 8,
        prefixes: tuple[str, ...] = ENTERPRISE_PREFIXES,
    ) -> None:
        self.writer = uuid.uuid4().hex[:12]
        self._turns = RefreshTurns(refresh)
        self._max_keys = max(max_keys, 1)
        self._prefixes = prefixes
        self._entries: dict[str, _Entry] = {}
        self._stamps: dict[str, str] = {}  # tick key -> the stamp this container last saved on its mark
        # tick key -> minute of the tick its documents are true as of: none had a turn due by then unread
        self._since: dict[str, int] = {}
        self._seq = 0

    def open(
        self, inner: RuleStateRepository, tick_key: str, found_stamp: str | None, tick: datetime
    ) -> CachedRuleState:
        """A view of `inner` for the tick at `tick` under `tick_key`, whose mark carries `found_stamp` now."""
        if found_stamp is None or self._stamps.get(tick_key) != found_stamp:
            self._forget(tick_key)
        return CachedRuleState(self, inner, tick_key, minute_of(tick))

    def stamp(self) -> str:
        """A stamp for the mark this tick saves, unique to this container and tick."""
        self._seq += 1
        return f"{self.writer}-{self._seq}"

    def commit(self, view: CachedRuleState, stamp: str) -> None:
        """The tick's flush succeeded with `stamp` on its mark: keep what it read and wrote, nothing else of its key."""
        self._forget(view.tick_key)
        for key, text in view.touched.items():
            self._entries[key] = _Entry(text, view.tick_key)
        self._stamps[view.tick_key] = stamp  # newest last: dicts keep insertion order
        self._since[view.tick_key] = view.minute
        while len(self._stamps) > self._max_keys:
            self._forget(next(iter(self._stamps)))

    def export(self, tick_key: str) -> tuple[str, dict[str, str | None]] | None:
        """(stamp, documents as canonical JSON) kept for `tick_key` after this container's last tick of it."""
        stamp = self._stamps.get(tick_key)
        if stamp is None:
            return None
        return stamp, {k: e.text for k, e in self._entries.items() if e.tick_key == tick_key}

    def adopt(self, tick_key: str, stamp: str, docs: Mapping[str, str | None], *, tick: datetime) -> None:
        """Take another container's `export` of `tick_key` after its tick at `tick` (the shard's snapshot) as this
        one's: used at the next tick only if the mark still carries `stamp` (`open` checks), else forgotten as any
        stale entry is."""
        self._forget(tick_key)
        for key, text in docs.items():
            if self.keeps(key):
                self._entries[key] = _Entry(text, tick_key)
        self._stamps[tick_key] = stamp
        self._since[tick_key] = minute_of(tick)
        while len(self._stamps) > self._max_keys:
            self._forget(next(iter(self._stamps)))

    def abandon(self, tick_key: str) -> None:
        """The tick failed: what it wrote may or may not be stored."""
        self._forget(tick_key)

    def cached(self, key: str, tick_key: str, minute: int) -> _Entry | None:
        entry = self._entries.get(key)
        since = self._since.get(tick_key)
        if entry is None or entry.tick_key != tick_key or since is None:
            return None
        if self._turns.due(key, since, minute):
            return None  # this key's turn to be read again
        return entry

    def keeps(self, key: str) -> bool:
        return key.startswith(self._prefixes)

    def _forget(self, tick_key: str) -> None:
        self._stamps.pop(tick_key, None)
        self._since.pop(tick_key, None)
        for key in [k for k, e in self._entries.items() if e.tick_key == tick_key]:
            del self._entries[key]


class CachedRuleState:
    """One tick's RuleStateRepository over `inner`: enterprise documents from the cache when it has them, every
    write passed through, and what the tick read or wrote noted for `RuleStateCache.commit`."""

    def __init__(self, cache: RuleStateCache, inner: RuleStateRepository, tick_key: str, minute: int) -> None:
        self._cache = cache
        self._inner = inner
        self.tick_key = tick_key
        self.minute = minute  # the tick's, minute_of
        self.touched: dict[str, str | None] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        if not self._cache.keeps(key):
            return self._inner.get(key)
        if key not in self.touched:
            entry = self._cache.cached(key, self.tick_key, self.minute)
            self.touched[key] = entry.text if entry is not None else _text(self._inner.get(key))
        text = self.touched[key]
        return None if text is None else dict(json.loads(text))

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._inner.put(key, value)
        if self._cache.keeps(key):
            self.touched[key] = _text(value)

    def delete(self, key: str) -> None:
        self._inner.delete(key)
        if self._cache.keeps(key):
            self.touched[key] = None

    def keys(self, prefix: str) -> list[str]:
        return self._inner.keys(prefix)

    def documents(self, prefix: str, start: str = "") -> dict[str, dict[str, Any]]:
        return self._inner.documents(prefix, start)  # kinds the cache does not keep (backfill notes, decode's progress)
