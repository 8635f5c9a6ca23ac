"""Packets of split uploads still incomplete when their batch was archived, kept for the batches that follow.

More: docs/decode.md, "Module notes".
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

import hj212

SPLIT_WINDOW: Final = timedelta(minutes=10)  # siblings are sent back to back; resends come within ~30 s

SplitKey = tuple[str, str, str, int]  # MN, CN, DataTime (as sent), PNUM


class SplitCache:
    """Incomplete uploads by key (least recently updated first), and since when each terminal was watched."""

    def __init__(self, *, max_uploads: int = 50_000, window: timedelta = SPLIT_WINDOW) -> None:
        self.max_uploads, self.window = max_uploads, window
        self._uploads: OrderedDict[SplitKey, tuple[datetime, dict[int, hj212.Frame]]] = OrderedDict()
        self._watched_since: OrderedDict[str, datetime] = OrderedDict()  # MN → first received_at seen
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._uploads)

    def parts(self, key: SplitKey) -> dict[int, hj212.Frame] | None:
        """The committed packets of an upload, or None when the cache does not hold it."""
        entry = self._uploads.get(key)
        return dict(entry[1]) if entry is not None else None

    def vouches(self, mn: str, earliest: datetime) -> bool:
        """Whether every frame of `mn` received within the window before `earliest` went through this cache, so
        that an upload it does not hold has no earlier packet in the archive either."""
        since = self._watched_since.get(mn)
        return since is not None and since <= earliest - self.window

    def watch(self, mn: str, received_at: datetime) -> None:
        """Note a committed frame of `mn` (called for every frame of a committed batch). The first time seen is
        kept, never lowered: a redelivered older frame does not prove the frames around it went by."""
        if mn not in self._watched_since:
            self._watched_since[mn] = received_at
            while len(self._watched_since) > self.max_uploads:
                self._watched_since.popitem(last=False)
        if self._newest is None or received_at > self._newest:
            self._newest = received_at

    def keep(self, key: SplitKey, parts: Mapping[int, hj212.Frame], received_at: datetime) -> None:
        """Hold an upload that is still incomplete after its batch was committed."""
        self._uploads[key] = (received_at, dict(parts))
        self._uploads.move_to_end(key)
        self._evict()

    def forget(self, key: SplitKey) -> None:
        """The upload is complete (its readings are written): nothing more to join."""
        self._uploads.pop(key, None)

    def _evict(self) -> None:
        while self._uploads:
            key, (at, _) = next(iter(self._uploads.items()))
            expired = self._newest is not None and at < self._newest - self.window
            if not expired and len(self._uploads) <= self.max_uploads:
                return
            self._uploads.popitem(last=False)
            if not expired:  # pushed out for room: this terminal is no longer fully watched
                self._watched_since.pop(key[0], None)
