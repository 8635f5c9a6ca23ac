"""Clock skew of a terminal, measured on each frame from its QN (the request code is the send time).

HJ 212-2017 表4: QN = YYYYMMDDhhmmsszzz, the terminal's wall-clock time when it sent the frame. Replies (90xx)
echo the platform's QN and are not measured; frames without a readable QN (2005 uploads may omit it) are skipped.
"""

from __future__ import annotations

from datetime import datetime

import hj212


def qn_time(qn: str | None) -> datetime | None:
    """The time a QN encodes, or None when it is not a 17-digit (or 14-digit) timestamp."""
    # Hand-sliced rather than strptime: this runs on every frame and strptime costs ~20 µs.
    if not qn or len(qn) not in (14, 17) or not qn.isdigit() or not qn.isascii():
        return None
    try:
        return datetime(
            int(qn[0:4]), int(qn[4:6]), int(qn[6:8]), int(qn[8:10]), int(qn[10:12]), int(qn[12:14]),
            int(qn[14:17] or 0) * 1000,
        )  # fmt: skip
    except ValueError:
        return None


def measure_skew(frame: hj212.Frame, terminal_now: datetime) -> float | None:
    """Terminal clock minus platform clock in seconds (positive: the terminal runs ahead), or None."""
    if frame.cn is not None and frame.cn.startswith("90"):
        return None
    sent = qn_time(frame.qn)
    if sent is None:
        return None
    return (sent - terminal_now).total_seconds()
