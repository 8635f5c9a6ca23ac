"""The one definition of China time (Beijing time, UTC+8) for the whole platform.

HJ 212 terminals stamp QN and DataTime in local wall time, which in China is Beijing time. It lives here
because hj212 is the lowest layer (stdlib only): monitoring re-exports it from monitoring._time, and the
listener, simulator and local runner import it from here. A fixed offset, not ZoneInfo("Asia/Shanghai"):
China has had no daylight saving since 1991, and a fixed offset needs no tz database in slim containers.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Final

CHINA: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
CHINA_UTC_OFFSET_MINUTES: Final = 480  # the listener's terminal_utc_offset default

__all__ = ["CHINA", "CHINA_UTC_OFFSET_MINUTES"]
