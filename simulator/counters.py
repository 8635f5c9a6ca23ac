"""Fleet-wide counters (frames sent, acknowledged, resent, dropped…) and the acknowledgement log.

The crash test compares these with what the platform stored: every packet a terminal saw acknowledged
(one line of the ack log: MN, CN, DataTime, PNO, QN, platform) must be stored exactly once.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import IO


@dataclass
class Counters:
    terminals: int = 0
    started: int = 0  # terminals whose tasks have been started (the start is rate-limited)
    connecting: int = 0
    online: int = 0  # links currently connected
    connects: int = 0
    connect_failures: int = 0
    frames_sent: int = 0  # every data/event packet written, resends included
    resends: int = 0
    acked: int = 0  # distinct packets acknowledged by 9014
    ack_timeouts: int = 0  # packets given up after ReCount resends (the link is then reopened)
    dropped: int = 0  # packets pushed out of a full buffer
    replies_sent: int = 0  # 9011/9012/9013 and command responses
    commands: int = 0
    refused: int = 0
    decode_errors: int = 0
    lag_s: int = 0  # how far (simulated seconds) the slowest terminal ran behind the clock in the last second

    def snapshot(self) -> dict[str, int]:
        return asdict(self)


class AckLog:
    """Appends one JSON line per acknowledged packet: its key, when the 9014 came (wall `t`, epoch seconds) and
    how long after the packet's first send (`ack_s`), for drills that watch acknowledgement latency."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream
        self.enabled = stream is not None

    def write(
        self, *, mn: str, cn: str, data_time: str, pno: int | None, qn: str, platform: int, ack_s: float = 0.0
    ) -> None:
        if self._stream is not None:
            line = {"mn": mn, "cn": cn, "data_time": data_time, "pno": pno, "qn": qn, "platform": platform,
                    "t": round(time.time(), 3), "ack_s": round(ack_s, 4)}  # fmt: skip
            self._stream.write(json.dumps(line) + "\n")

    def flush(self) -> None:
        if self._stream is not None:
            self._stream.flush()
