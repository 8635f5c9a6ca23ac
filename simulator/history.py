"""The terminal's stored history for platform pulls (2031/2041/2051/2061): compressed, bounded per kind.

A fleet of 1,162 terminals keeping hours of minute records as text would need gigabytes; zlib brings a
three-packet minute record from about 2.7 kB to well under 1 kB, and each kind keeps its own bound.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterator

from simulator.events import Record

KINDS = ("minute", "hour", "day", "runtime")


def _compress(data: bytes) -> bytes:
    # Level 1 with a 4 kB window (a record's packets fit in it): the same size as zlib.compress(data, 1)
    # for a minute record at half the time, which goes mostly into setting up the default 32 kB window.
    # zlib.decompress reads it with its default settings.
    c = zlib.compressobj(1, zlib.DEFLATED, 12)
    return c.compress(data) + c.flush()


class History:
    """Bounded per kind: `minute_records` minute records, `long_records` of each of hour, day and run time."""

    def __init__(self, minute_records: int = 240, long_records: int = 4000) -> None:
        if minute_records < 1 or long_records < 1:
            raise ValueError("history bounds must be positive")
        self._store: dict[str, deque[tuple[str, str, bytes, bool]]] = {
            kind: deque(maxlen=minute_records if kind == "minute" else long_records) for kind in KINDS
        }

    def add(self, record: Record) -> None:
        if record.kind in self._store:
            blob = _compress("\n".join(record.packets).encode("utf-8"))
            self._store[record.kind].append((record.cn, record.data_time, blob, record.urgent))

    def query(self, kind: str, lo: str, hi: str) -> Iterator[Record]:
        """Records of a kind with lo <= DataTime <= hi (YYYYMMDDhhmmss strings compare in time order)."""
        for cn, data_time, blob, urgent in list(self._store.get(kind, ())):
            if lo <= data_time <= hi:
                packets = tuple(zlib.decompress(blob).decode("utf-8").split("\n"))
                yield Record(cn, data_time, packets, kind, urgent)

    def __iter__(self) -> Iterator[Record]:
        for kind in KINDS:
            yield from self.query(kind, "", "99999999999999")

    def __len__(self) -> int:
        return sum(len(q) for q in self._store.values())
