"""The one definition of China time (Beijing time, UTC+8) for the whole platform.

hj212 is the lowest layer (stdlib only), so it lives here; monitoring re-exports it from monitoring._time.
A fixed offset, not ZoneInfo: China has had no daylight saving since 1991 (docs/contracts.md).
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Final

CHINA: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
CHINA_UTC_OFFSET_MINUTES: Final = 480  # the listener's terminal_utc_offset default

__all__ = ["CHINA", "CHINA_UTC_OFFSET_MINUTES"]
