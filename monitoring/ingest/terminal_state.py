"""Per-batch terminal observations: last frame time and peer, clock skew, GPS; written once per batch.

More: docs/decode.md, "Module notes".
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from hj212.commands import MIN_INTERVALS
from monitoring.errors import InvalidInputError
from monitoring.ingest.records import FrameRecord
from monitoring.profiles.mapping import MappedFrame
from monitoring.readings.values import parse_local_time
from monitoring.registry.terminal import GpsFix, Terminal

_FRESH = timedelta(minutes=1)
_SKEW_NOISE_S = 5.0  # network delay jitters the measured skew; smaller changes are not worth a write
_NO_QN_KINDS = (None, "ignore")
# The views call a terminal offline when its stored last frame is older than this (dashboard OFFLINE_AFTER, field
# STALE_AFTER; a test keeps them equal). The stored time must stay younger than it minus the margin between frames.
ONLINE_WINDOW = timedelta(minutes=15)
_MARGIN = timedelta(minutes=2)  # delivery (stream, batch window) and a frame that comes a little late
_SAME_UPLOAD = timedelta(seconds=20)  # frames closer are one upload (2011 + 2051 + 2061 at :00, split packets)
# No gap seen in this process yet: assume the longest 1064 interval the views can show online (12 min).
UNSEEN_GAP = timedelta(minutes=max(m for m in MIN_INTERVALS if timedelta(minutes=m) < ONLINE_WINDOW - _MARGIN))


@dataclass
class TerminalState:
    """What the batch saw of one terminal (the newest receipt wins)."""

    last_at: datetime
    peer: str = ""
    skew_s: float | None = None
    skew_source: str = ""
    gps: GpsFix | None = None
    gap: timedelta | None = None  # the terminal's upload interval as seen in this process (FrameGaps)


class FrameGaps:
    """Per MN, the last upload moment and the two gaps before it, kept across the batches of a warm process.

    The expected gap to the next upload is the longer of the last two, so one short pair (an hourly 2061 a few
    seconds after the 2051) does not hide the interval. Bounded to `max_entries` MNs (least recently seen out)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._seen: OrderedDict[str, tuple[datetime, timedelta | None, timedelta | None]] = OrderedDict()

    def note(self, mn: str, at: datetime) -> None:
        seen = self._seen.get(mn)
        if seen is None:
            self._seen[mn] = (at, None, None)
        elif at - seen[0] >= _SAME_UPLOAD:
            self._seen[mn] = (at, at - seen[0], seen[1])
        # else: the same upload, or an older frame delivered late; neither says anything about the interval
        self._seen.move_to_end(mn)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)

    def gap(self, mn: str) -> timedelta | None:
        seen = self._seen.get(mn)
        gaps = [g for g in seen[1:] if g is not None] if seen is not None else []
        return max(gaps) if gaps else None


def measure_skew(record: FrameRecord, frame: object, mapped: MappedFrame) -> tuple[float | None, str]:
    """(terminal clock − receive time in seconds, source) for one frame, or (None, "")."""
    scalars = getattr(getattr(frame, "cp", None), "scalars", {}) or {}
    system = parse_local_time(scalars.get("SystemTime")) if mapped.kind == "time" else None
    if system is not None:
        return (system - record.received_at).total_seconds(), "SystemTime"
    qn = parse_local_time(getattr(frame, "qn", None)) if mapped.kind not in _NO_QN_KINDS else None
    if qn is not None and qn - record.received_at >= -_FRESH:
        return (qn - record.received_at).total_seconds(), "QN"
    if mapped.kind == "realtime" and mapped.data_time is not None:
        delta = mapped.data_time - record.received_at
        if abs(delta) <= _FRESH:
            return delta.total_seconds(), "DataTime"
    return None, ""


class TerminalStates:
    """Observations of the current batch, keyed by MN."""

    def __init__(self, gaps: FrameGaps | None = None) -> None:
        self._by_mn: dict[str, TerminalState] = {}
        self.gaps = gaps if gaps is not None else FrameGaps()  # a warm process's, or this batch's own

    def observe(self, record: FrameRecord, frame: object, mapped: MappedFrame) -> None:
        mn = getattr(frame, "mn", None) or record.mn
        self.gaps.note(mn, record.received_at)
        state = self._by_mn.get(mn)
        newest = state is None or record.received_at >= state.last_at
        if state is None:
            state = self._by_mn[mn] = TerminalState(record.received_at)
        if newest:
            state.last_at, state.peer = record.received_at, record.peer
            state.gap = self.gaps.gap(mn)
            skew, source = measure_skew(record, frame, mapped)
            if skew is not None:
                state.skew_s, state.skew_source = skew, source
        if mapped.gps is not None:
            at = mapped.data_time or record.received_at
            try:
                fix = GpsFix(mapped.gps[0], mapped.gps[1], at)
            except InvalidInputError:
                return  # an impossible position is kept in the archive only
            if state.gps is None or fix.at > state.gps.at:
                state.gps = fix

    @staticmethod
    def worth_writing(
        stored: Terminal, seen: TerminalState, refresh: timedelta, *, visible_by: datetime | None = None
    ) -> bool:
        """Whether the batch's observation changes the stored terminal enough to spend a write on it.

        `visible_by`: with liveness sheets (monitoring.ingest.liveness_notes), when a sheet would show this frame;
        the item is then written only for news, or when the sheet would come too late to keep it online."""
        if stored.last_frame_at is None or not stored.online:
            return True
        age = seen.last_at - stored.last_frame_at
        if visible_by is not None:
            if visible_by - stored.last_frame_at >= ONLINE_WINDOW - _MARGIN:
                return True  # until the sheet's write the stored time would look offline: the item shows it now
        elif age >= refresh:
            return True
        else:
            # The next frame comes about one gap later: write now if by then the stored time could look offline.
            interval = timedelta(minutes=stored.minute_interval_min or 0)
            gap = seen.gap if seen.gap is not None else max(UNSEEN_GAP, interval)
            if age + gap >= ONLINE_WINDOW - _MARGIN:
                return True
        if seen.peer and seen.peer != stored.last_peer:
            return True  # reconnected (the listener records disconnects; a new session is news)
        if seen.gps is not None and (
            stored.gps is None or (seen.gps.lat, seen.gps.lon) != (stored.gps.lat, stored.gps.lon)
        ):
            return True  # the terminal moved (a newer fix of the same place is not news)
        if seen.skew_s is not None:
            return stored.clock_skew_s is None or abs(seen.skew_s - stored.clock_skew_s) > _SKEW_NOISE_S
        return False

    def items(self) -> Iterator[tuple[str, TerminalState]]:
        return iter(list(self._by_mn.items()))

    def clear(self) -> None:
        self._by_mn.clear()
