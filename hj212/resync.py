"""Where a waiting frame candidate ends, and whether a good frame completed behind it (HJ 212-2017 表2 framing).

The state belongs to the candidate at the start of the decoder's buffer, keyed by its stream position, so
that each read resumes the searches where the previous one stopped: linear, not quadratic, time.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable

__all__ = ["END_RE", "HDR_RE", "WaitingSearch"]

# The real end of a segment: `&&`, 4 hex digits, then a terminator, the next header, or the end so far.
END_RE = re.compile(rb"&&[0-9A-Fa-f]{4}(?:\r\n|\n|\r|(?=##)|\Z)")
HDR_RE = re.compile(rb"##[0-9]{4}")


class WaitingSearch:
    """Search positions for the candidate waiting at the start of the buffer (all positions absolute)."""

    def __init__(self) -> None:
        self.base = 0  # stream position of the first buffered byte
        self.wait_at = -1  # the candidate these positions belong to
        self.end_from = 0
        self.hdr_from = 0
        self.hdr_at = -1
        self.probe_next = -1
        self.probe_heap: list[tuple[int, int]] = []

    def search(self, b: bytes, p: int) -> tuple[re.Match[bytes] | None, int]:
        """The first frame end after the candidate at `p`, and the first `##dddd` inside it (or -1).

        While one candidate waits across reads, searches resume where they stopped, so feeding a long
        frame one byte at a time costs linear, not quadratic, time.
        """
        base = self.base
        n = len(b)
        if self.wait_at != base + p:
            self.wait_at = base + p
            self.end_from = base + p + 6
            self.hdr_from = base + p + 2
            self.hdr_at = -1
            self.probe_next = -1
            self.probe_heap = []
        m = END_RE.search(b, self.end_from - base)
        if m is None:
            self.end_from = base + max(p + 6, n - 7)  # a match not found now starts in the last 7 bytes
        if self.hdr_at < 0:
            hm = HDR_RE.search(b, self.hdr_from - base)
            if hm is None:
                self.hdr_from = base + max(p + 2, n - 5)
            else:
                self.hdr_at = base + hm.start()
        return m, (self.hdr_at - base if self.hdr_at >= 0 else -1)

    def valid_behind(self, b: bytes, first: int, crc_ok: Callable[[bytes, bytes], tuple[bool, bool]]) -> int:
        """Where a complete frame with a good CRC starts behind the waiting candidate, or -1.

        Every `##dddd` from `first` on is examined once, when the bytes its length promises are in (a heap
        ordered by that end), so the work over all reads is linear in the bytes held.
        """
        base = self.base
        n = len(b)
        heap = self.probe_heap
        pos = first if self.probe_next < 0 else self.probe_next - base
        while (hm := HDR_RE.search(b, pos)) is not None:
            q = hm.start()
            heapq.heappush(heap, (base + q + 10 + int(b[q + 2 : q + 6]), base + q))
            pos = q + 1
        self.probe_next = base + max(pos, n - 5)
        while heap and heap[0][0] <= base + n:
            q = heapq.heappop(heap)[1] - base
            e = q + 6 + int(b[q + 2 : q + 6])
            if crc_ok(b[q + 6 : e], b[e : e + 4])[0]:
                return q
        return -1
