"""SOE (sequence-of-events) records with millisecond times, and the records a terminal uploads.

SOE frames are CN 3020 uploads whose items are SOE1, SOE2, … (data/profiles/simulator_default.json
"events"); events of the same second travel in one frame so the (MN, CN, DataTime, PNO) key stays unique.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

SOE_KEEP = 64  # the notice asks for at least 16, kept through power loss


def ms_time(t: datetime) -> str:
    """YYYYMMDDhhmmsszzz."""
    return t.strftime("%Y%m%d%H%M%S") + f"{t.microsecond // 1000:03d}"


def data_time(t: datetime) -> str:
    return t.strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True)
class SoeEvent:
    seq: int
    time: datetime  # terminal clock
    type: str  # power_loss | power_restore | over_limit | over_limit_clear | param_change
    code: str = ""
    value: str = ""
    limit: str = ""
    old: str = ""

    def item(self, n: int) -> str:
        parts = [f"SOE{n}-EventTime={ms_time(self.time)}", f"SOE{n}-EventType={self.type}", f"SOE{n}-Seq={self.seq}"]
        for name, val in (("Code", self.code), ("Value", self.value), ("Limit", self.limit), ("Old", self.old)):
            if val:
                parts.append(f"SOE{n}-{name}={val}")
        return ",".join(parts)


@dataclass
class SoeLog:
    """The terminal's non-volatile event memory."""

    events: deque[SoeEvent] = field(default_factory=lambda: deque(maxlen=SOE_KEEP))
    seq: int = 0

    def add(self, time: datetime, type: str, **kw: str) -> SoeEvent:
        self.seq += 1
        ev = SoeEvent(self.seq, time, type, **kw)
        self.events.append(ev)
        return ev


@dataclass(frozen=True)
class Record:
    """One upload, already split into packets (CP texts); each packet is acknowledged on its own."""

    cn: str
    data_time: str
    packets: tuple[str, ...]
    kind: str  # realtime | minute | hour | day | runtime | status | soe | restart | info
    urgent: bool = False  # SOE and restart records jump the backlog (power loss must go out on backup power)
