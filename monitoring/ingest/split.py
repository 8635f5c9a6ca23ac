"""Split uploads (Flag D=1, PNUM/PNO; HJ 212-2017 表C.49/C.50): join the packets of one upload.

Every packet repeats DataTime and carries part of the items, and each is archived on its own. A reading
must hold the whole upload, because readings are written once per (point, kind, DataTime). So a packet is
joined with its siblings — from the batch being decoded and from the archive (received within
`SPLIT_WINDOW`) — and the upload becomes readings when all PNUM packets are there. Until then the packet
is archived and reported as "split_pending"; re-decoding the archive later may accept an incomplete set.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

import hj212
from monitoring.storage.ports import ArchiveRepository

SPLIT_WINDOW: Final = timedelta(minutes=10)  # siblings are sent back to back; resends come within ~30 s
_MAX_SIBLINGS = 500

SplitKey = tuple[str, str, str, int]  # MN, CN, DataTime (as sent), PNUM


def split_key(mn: str, frame: hj212.Frame) -> SplitKey | None:
    """The upload a packet belongs to, or None when the frame is not split."""
    if not frame.pnum or frame.pnum < 2 or not frame.pno:
        return None
    return (mn, frame.cn or "", frame.cp.scalars.get("DataTime", ""), frame.pnum)


class SplitJoiner:
    """Packets seen in this batch, by upload; completes an upload from the archive when needed."""

    def __init__(self, archive: ArchiveRepository) -> None:
        self.archive = archive
        self._parts: dict[SplitKey, dict[int, hj212.Frame]] = {}

    def add(
        self, key: SplitKey, frame: hj212.Frame, received_at: datetime, *, partial_ok: bool = False
    ) -> tuple[Mapping[str, str], Mapping[str, Mapping[str, str]]] | None:
        """Scalars and items of the whole upload, or None while packets are missing."""
        parts = self._parts.setdefault(key, {})
        parts.setdefault(frame.pno or 0, frame)
        if not self._complete(key, parts):
            self._from_archive(key, parts, received_at)
        if not self._complete(key, parts) and not partial_ok:
            return None
        scalars: dict[str, str] = {}
        items: dict[str, dict[str, str]] = {}
        for pno in sorted(parts):
            part = parts[pno]
            for name, value in part.cp.scalars.items():
                scalars.setdefault(name, value)
            for code, fields in part.cp.items.items():
                merged = items.setdefault(code, {})
                for field_name, value in fields.items():
                    merged.setdefault(field_name, value)
        return scalars, items

    @staticmethod
    def _complete(key: SplitKey, parts: Mapping[int, hj212.Frame]) -> bool:
        return all(pno in parts for pno in range(1, key[3] + 1))

    def _from_archive(self, key: SplitKey, parts: dict[int, hj212.Frame], received_at: datetime) -> None:
        mn = key[0]
        start, end = received_at - SPLIT_WINDOW, received_at + SPLIT_WINDOW
        for archived in self.archive.frames(mn, start, end, limit=_MAX_SIBLINGS):
            raw = archived.frame
            if raw.cn and raw.cn != key[1]:
                continue
            try:
                sibling = hj212.decode_frame(raw.raw, accept_modbus_crc=raw.crc == "modbus")
            except hj212.BadFrameError:
                continue
            if split_key(sibling.mn or raw.mn, sibling) == key and sibling.pno:
                parts.setdefault(sibling.pno, sibling)
