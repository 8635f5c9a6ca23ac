"""Frames out of one connection's byte stream, and the limits on whatever is not a frame.

Bad bytes (garbage, broken frames, frames refused after decoding) are logged and charged to a garbage budget;
`max_buffer` bytes without a complete frame close the connection, and so does a frame left unfinished too long.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import hj212
from iot_ingest.limits import TokenBucket

if TYPE_CHECKING:
    from iot_ingest.protocol import IngestProtocol

log = logging.getLogger(__name__)
MAX_BAD_LOGS = 20  # bad-bytes warnings logged per connection (all are counted in metrics)


class FrameReader:
    """hj212's StreamDecoder for `conn`, with its garbage budget and slow-sender clock."""

    __slots__ = ("_conn", "decoder", "partial_since", "since_frame", "garbage", "bad_logged")

    def __init__(self, conn: IngestProtocol) -> None:
        s = conn.state.settings
        self._conn = conn
        self.decoder = hj212.StreamDecoder(
            max_frame_length=s.max_frame_length,
            max_buffer=s.max_buffer,
            accept_modbus_crc=True,
            layouts=conn.state.layouts,  # one cache for every connection: a layout is learnt once per listener
        )
        self.partial_since = 0.0  # when the frame still buffered started
        self.since_frame = self.bad_logged = 0
        self.garbage: TokenBucket | None = None  # created with the first bad byte

    def feed(self, data: bytes, now: float) -> list[hj212.Frame]:
        """The frames completed by `data`; none once a limit closed the connection."""
        conn = self._conn
        s = conn.state
        s.metrics.inc("bytes_in", "", len(data))
        decoder = self.decoder
        before = decoder.buffered
        items = decoder.feed(data)
        after = decoder.buffered
        if not after:
            self.partial_since = 0.0
        elif not self.partial_since or not before:
            self.partial_since = now  # a frame has started and must complete within slow_sender_timeout
        # Bytes the decoder discarded (garbage, broken frames): everything fed that is neither still buffered
        # nor part of a good frame. Exact, whatever the decoder keeps of a long garbage run in its error value.
        discarded = len(data) + before - after
        frames: list[hj212.Frame] = []
        self.since_frame += len(data)
        for item in items:
            if isinstance(item, hj212.Frame):
                discarded -= len(item.raw)
                frames.append(item)
                continue
            self.bad(item.reason, item.detail, item.data)
            if item.reason == "oversize" and self.since_frame >= s.settings.max_buffer:
                conn.close("buffer_cap")  # max_buffer bytes without completing a frame
                return []
        if discarded > 0 and not self.spend_garbage(discarded, now):
            return []
        if frames:
            self.since_frame = 0
        return frames

    def stalled(self, now: float) -> bool:
        """A frame has been started and not finished within slow_sender_timeout (a slowloris)."""
        return bool(self.partial_since) and now - self.partial_since > self._conn.state.settings.slow_sender_timeout

    def eof(self) -> None:
        for err in self.decoder.close():
            self._conn.state.metrics.inc("errors", err.reason)

    def refuse(self, frame: hj212.Frame, reason: str, detail: str, now: float) -> None:
        """A decoded frame that cannot be taken (no MN, CRC kind not allowed): bad bytes like any garbage."""
        self.bad(reason, detail, frame.raw)
        self.spend_garbage(len(frame.raw), now)

    def bad(self, reason: str, detail: str, data: bytes) -> None:
        conn = self._conn
        conn.state.metrics.inc("errors", reason)
        self.bad_logged += 1
        if self.bad_logged > MAX_BAD_LOGS:
            return  # counted in the metrics; the log keeps the first few per connection, not a flood
        log.warning(
            "bad bytes from terminal",
            extra={"fields": {"peer": conn.peer, "mn": conn.mn, "reason": reason, "detail": detail,
                              "data": data[:256].decode("latin-1")}},
        )  # fmt: skip

    def spend_garbage(self, count: int, now: float) -> bool:
        """Charge discarded bytes to the garbage budget; close the connection (False) once it is exhausted."""
        conn = self._conn
        s = conn.state
        s.metrics.inc("garbage_bytes", "", count)
        if self.garbage is None:
            self.garbage = TokenBucket(s.settings.garbage_budget, s.settings.garbage_refill, now)
        if self.garbage.drain(now, count):
            return True
        conn.close("garbage_budget")
        return False
