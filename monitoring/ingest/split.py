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
from monitoring.archive.models import RawFrame
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
    """Packets seen in this batch, by upload; completes an upload from the archive when needed.

    The batch's own packets are joined in memory. The archive is read only for the siblings the batch lacks,
    at most once per terminal and batch in the common case: one scan covers the window of the packets that
    follow, and each archived frame is parsed once per batch. Call `clear()` after the batch is archived.
    """

    def __init__(self, archive: ArchiveRepository) -> None:
        self.archive = archive
        self._parts: dict[SplitKey, dict[int, hj212.Frame]] = {}
        self._scans: dict[str, _Scan] = {}

    def clear(self) -> None:
        """Forget the batch (its packets are in the archive now; the cached scans are stale)."""
        self._parts.clear()
        self._scans.clear()

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
        start, end = received_at - SPLIT_WINDOW, received_at + SPLIT_WINDOW
        # A sibling repeats DataTime, and an ASCII value parsed from a frame is in its bytes as is (values are
        # only stripped): frames without it cannot be siblings and are not parsed at all.
        needle = key[2].encode("ascii") if key[2] and key[2].isascii() else b""
        for archived in self._archived(key[0], start, end):
            if needle and needle not in archived.raw:
                continue
            if archived.split_key == key and archived.frame is not None and archived.frame.pno:
                parts.setdefault(archived.frame.pno, archived.frame)

    def _archived(self, mn: str, start: datetime, end: datetime) -> list[_Archived]:
        """The terminal's archived frames with start ≤ received_at < end, ascending by seq, at most
        `_MAX_SIBLINGS` — exactly what `archive.frames` returns — from a cached scan when one covers them."""
        scan = self._scans.get(mn)
        if scan is None or start < scan.start or end > scan.end or scan.truncated:
            # Reach one window further ahead: the batch's later packets were received later.
            wide_end = end + SPLIT_WINDOW
            rows = self.archive.frames(mn, start, wide_end, limit=_MAX_SIBLINGS)
            if len(rows) >= _MAX_SIBLINGS:  # cut short: the wide window is no exact answer; ask for this one
                wide_end = end
                rows = self.archive.frames(mn, start, end, limit=_MAX_SIBLINGS)
            scan = _Scan(start, wide_end, len(rows) >= _MAX_SIBLINGS, [_Archived(a.frame) for a in rows])
            self._scans[mn] = scan
            if scan.truncated:
                return scan.frames
        return [a for a in scan.frames if start <= a.received_at < end][:_MAX_SIBLINGS]


class _Archived:
    """One archived frame of a scan, parsed on first use (once per batch), and only if it may be a packet."""

    __slots__ = ("_raw", "_parsed", "_frame", "_key")

    def __init__(self, raw: RawFrame) -> None:
        self._raw = raw
        self._parsed = False
        self._frame: hj212.Frame | None = None
        self._key: SplitKey | None = None

    @property
    def raw(self) -> bytes:
        return self._raw.raw

    @property
    def received_at(self) -> datetime:
        return self._raw.received_at

    @property
    def frame(self) -> hj212.Frame | None:
        self._parse()
        return self._frame

    @property
    def split_key(self) -> SplitKey | None:
        self._parse()
        return self._key

    def _parse(self) -> None:
        if self._parsed:
            return
        self._parsed = True
        raw = self._raw
        if b"PNUM" not in raw.raw:  # not a split packet: no need to parse it
            return
        try:
            frame = hj212.decode_frame(raw.raw, accept_modbus_crc=raw.crc == "modbus")
        except hj212.BadFrameError:
            return
        key = split_key(frame.mn or raw.mn, frame)
        if key is not None and raw.cn and raw.cn != key[1]:
            return  # the listener's CN disagrees with the frame's: never joined (as before)
        self._frame, self._key = frame, key


class _Scan:
    """A terminal's archived frames over [start, end), ascending by seq; `truncated` when the limit cut it."""

    __slots__ = ("start", "end", "truncated", "frames")

    def __init__(self, start: datetime, end: datetime, truncated: bool, frames: list[_Archived]) -> None:
        self.start, self.end, self.truncated, self.frames = start, end, truncated, frames
