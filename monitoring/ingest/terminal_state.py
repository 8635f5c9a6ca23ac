"""Per-batch terminal observations: last frame time and peer, clock skew, GPS; written once per batch.

Clock skew is the terminal's clock minus the platform's receive time. It is read, in order of trust, from
a 1011 SystemTime upload, from the QN of an upload (the terminal stamps it when sending), or from the
DataTime of a real-time frame received within a minute. Replies (9011–9014) are skipped: they carry the
platform's QN. A real-time frame older than that is a store-and-forward backfill, not a skew.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.errors import InvalidInputError
from monitoring.ingest.records import FrameRecord
from monitoring.profiles.mapping import MappedFrame
from monitoring.readings.values import parse_local_time
from monitoring.registry.terminal import GpsFix

_FRESH = timedelta(minutes=1)
_NO_QN_KINDS = (None, "ignore")


@dataclass
class TerminalState:
    """What the batch saw of one terminal (the newest receipt wins)."""

    last_at: datetime
    peer: str = ""
    skew_s: float | None = None
    skew_source: str = ""
    gps: GpsFix | None = None


def measure_skew(record: FrameRecord, frame: object, mapped: MappedFrame) -> tuple[float | None, str]:
    """(terminal clock − receive time in seconds, source) for one frame, or (None, "")."""
    scalars = getattr(getattr(frame, "cp", None), "scalars", {}) or {}
    system = parse_local_time(scalars.get("SystemTime")) if mapped.kind == "time" else None
    if system is not None:
        return (system - record.received_at).total_seconds(), "SystemTime"
    qn = parse_local_time(getattr(frame, "qn", None)) if mapped.kind not in _NO_QN_KINDS else None
    if qn is not None:
        return (qn - record.received_at).total_seconds(), "QN"
    if mapped.kind == "realtime" and mapped.data_time is not None:
        delta = mapped.data_time - record.received_at
        if abs(delta) <= _FRESH:
            return delta.total_seconds(), "DataTime"
    return None, ""


class TerminalStates:
    """Observations of the current batch, keyed by MN."""

    def __init__(self) -> None:
        self._by_mn: dict[str, TerminalState] = {}

    def observe(self, record: FrameRecord, frame: object, mapped: MappedFrame) -> None:
        mn = getattr(frame, "mn", None) or record.mn
        state = self._by_mn.get(mn)
        newest = state is None or record.received_at >= state.last_at
        if state is None:
            state = self._by_mn[mn] = TerminalState(record.received_at)
        if newest:
            state.last_at, state.peer = record.received_at, record.peer
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

    def items(self) -> Iterator[tuple[str, TerminalState]]:
        return iter(list(self._by_mn.items()))

    def clear(self) -> None:
        self._by_mn.clear()
