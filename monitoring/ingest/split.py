"""Split uploads (Flag D=1, PNUM/PNO; HJ 212-2017 表C.49/C.50): join the packets of one upload.

More: docs/decode.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import hj212
from monitoring.archive.models import RawFrame
from monitoring.ingest.split_cache import SPLIT_WINDOW, SplitCache, SplitKey
from monitoring.storage.ports import ArchiveRepository

__all__ = ["SPLIT_WINDOW", "SplitCache", "SplitJoiner", "SplitKey", "split_key"]

_MAX_SIBLINGS = 500


def split_key(mn: str, frame: hj212.Frame) -> SplitKey | None:
    """The upload a packet belongs to, or None when the frame is not split."""
    if not frame.pnum or frame.pnum < 2 or not frame.pno:
        return None
    return (mn, frame.cn or "", frame.cp.scalars.get("DataTime", ""), frame.pnum)


class SplitJoiner:
    """Packets seen in this batch, by upload; completes an upload from the archive when needed.

    The batch's own packets are joined in memory, with the packets of earlier batches that the process's
    `SplitCache` holds. The archive is asked only for uploads still incomplete when the whole batch was seen (the
    live decoder) and that the cache cannot vouch for; it returns just the frames holding the upload's DataTime.
    Call `commit()` after the batch is archived.
    """

    def __init__(self, archive: ArchiveRepository | None, cache: SplitCache | None = None) -> None:
        self.archive = archive  # None: the batch and the cache are all there is (decode without archive items)
        self.cache = cache  # shared by the batches of a process; None: every batch asks the archive
        self._parts: dict[SplitKey, dict[int, hj212.Frame]] = {}
        self._first_at: dict[SplitKey, datetime] = {}  # the batch's earliest packet of each upload
        self._held: set[SplitKey] = set()  # uploads the cache held when the batch first saw them

    def clear(self) -> None:
        """Forget the batch (its packets are in the archive now; the cached scans are stale)."""
        self._parts.clear()
        self._first_at.clear()
        self._held.clear()

    def commit(self, archived: list[tuple[str, datetime]]) -> None:
        """After the batch's archive write committed: keep its incomplete uploads in the cache (and forget the
        completed ones), note the terminals watched (`archived`: MN and received_at of every frame), then clear."""
        if self.cache is not None:
            for mn, at in archived:
                self.cache.watch(mn, at)
            for key, parts in self._parts.items():
                if self._complete(key, parts):
                    self.cache.forget(key)
                else:
                    self.cache.keep(key, parts, self._first_at[key])
        self.clear()

    def add(
        self,
        key: SplitKey,
        frame: hj212.Frame,
        received_at: datetime,
        *,
        partial_ok: bool = False,
        consult_archive: bool = True,
    ) -> hj212.CP | None:
        """The whole upload's data area (its packets' joined), or None while packets are missing.

        `consult_archive=False` joins within the batch only: the live decoder passes it because a packet's
        siblings usually follow it in the same batch, and asks the archive once, at the end of the batch,
        for the uploads still incomplete (`complete_from_archive`)."""
        parts = self._parts.get(key)
        if parts is None:
            held = self.cache.parts(key) if self.cache is not None else None
            if held is not None:
                self._held.add(key)
            parts = self._parts[key] = held or {}
            self._first_at[key] = received_at
        parts.setdefault(frame.pno or 0, frame)
        if not self._complete(key, parts) and consult_archive:
            self._from_archive(key, parts, received_at)
        if not self._complete(key, parts) and not partial_ok:
            return None
        return self._merge(parts)

    def complete_from_archive(self, key: SplitKey, received_at: datetime) -> hj212.CP | None:
        """The whole upload once the archive supplied the missing packets, else None (still pending)."""
        parts = self._parts.get(key)
        if parts is None:
            return None
        if not self._complete(key, parts) and not self._vouched(key):
            self._from_archive(key, parts, received_at)
        return self._merge(parts) if self._complete(key, parts) else None

    def _vouched(self, key: SplitKey) -> bool:
        """The cache knows every earlier packet of this upload there is: the archive has nothing to add."""
        if self.cache is None:
            return False
        return key in self._held or self.cache.vouches(key[0], self._first_at[key])

    @staticmethod
    def _merge(parts: Mapping[int, hj212.Frame]) -> hj212.CP:
        scalars: dict[str, str] = {}
        items: dict[str, dict[str, str]] = {}
        groups: list[hj212.CPGroup] = []
        for pno in sorted(parts):
            part = parts[pno]
            for name, value in part.cp.scalars.items():
                scalars.setdefault(name, value)
            for code, fields in part.cp.items.items():
                merged = items.setdefault(code, {})
                for field_name, value in fields.items():
                    merged.setdefault(field_name, value)
            groups += part.cp.groups  # each packet's groups, in packet order
        return hj212.CP(scalars, items, tuple(groups))

    @staticmethod
    def _complete(key: SplitKey, parts: Mapping[int, hj212.Frame]) -> bool:
        return all(pno in parts for pno in range(1, key[3] + 1))

    def _from_archive(self, key: SplitKey, parts: dict[int, hj212.Frame], received_at: datetime) -> None:
        if self.archive is None:
            return
        start, end = received_at - SPLIT_WINDOW, received_at + SPLIT_WINDOW
        # A sibling repeats DataTime, and an ASCII value parsed from a frame is in its bytes as is (values are
        # only stripped): the store returns only frames holding it, and only those are parsed.
        needle = key[2].encode("ascii") if key[2] and key[2].isascii() else b""
        for row in self.archive.frames(key[0], start, end, limit=_MAX_SIBLINGS, containing=needle):
            packet = _archived_packet(row.frame)
            if packet is not None and packet[0] == key:
                parts.setdefault(packet[1].pno or 0, packet[1])


def _archived_packet(raw: RawFrame) -> tuple[SplitKey, hj212.Frame] | None:
    """An archived frame as a split packet (its upload's key and the parsed frame), or None if it is not one."""
    if b"PNUM" not in raw.raw:  # not a split packet: no need to parse it
        return None
    try:
        frame = hj212.decode_frame(raw.raw, accept_modbus_crc=raw.crc == "modbus")
    except hj212.BadFrameError:
        return None
    key = split_key(frame.mn or raw.mn, frame)
    if key is None or not frame.pno or (raw.cn and raw.cn != key[1]):
        return None  # not split, or the listener's CN disagrees with the frame's: never joined
    return key, frame
