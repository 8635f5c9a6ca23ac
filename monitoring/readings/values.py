"""Turn HJ 212 value strings into numbers and times without ever raising on terminal input.

A bad value is recorded as a quality flag next to a `None` (or next to the kept number when it is merely
implausible); nothing here crashes on what a terminal sends. Times in frames are terminal-local wall
time (China: UTC+8, no DST) and become aware UTC datetimes here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from monitoring._time import CHINA as CHINA  # re-exported
from monitoring.readings.quantities import BOUNDS, QUANTITIES

# Quality flags a converted value can carry (besides the terminal's own `Flag`).
EMPTY: Final = "empty"
UNPARSEABLE: Final = "unparseable"
NON_FINITE: Final = "non_finite"
OUT_OF_RANGE: Final = "out_of_range"

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
PLAIN_NUMBER: Final = _NUMBER  # the number syntax `convert` accepts (after stripping blanks)
_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?")


@dataclass(frozen=True, slots=True)
class Converted:
    """A value in canonical units (or None) and the quality flags found while converting it."""

    value: float | None
    quality: frozenset[str]


def convert(raw: str | None, quantity: str, scale: float = 1.0) -> Converted:
    """`raw` × `scale`, validated against the plausible range of `quantity`'s dimension."""
    text = (raw or "").strip()
    if not text:
        return Converted(None, frozenset({EMPTY}))
    if not _NUMBER.fullmatch(text):
        lowered = text.lower().lstrip("+-")
        flag = NON_FINITE if lowered in ("nan", "inf", "infinity") else UNPARSEABLE
        return Converted(None, frozenset({flag}))
    value = float(text) * scale
    if not math.isfinite(value):
        return Converted(None, frozenset({NON_FINITE}))
    q = QUANTITIES.get(quantity)
    if q is not None:
        low, high = BOUNDS[q.dimension]
        if not low <= value <= high:
            return Converted(value, frozenset({OUT_OF_RANGE}))
    return Converted(value, frozenset())


def parse_local_time(text: str | None) -> datetime | None:
    """`YYYYMMDDhhmmss[zzz]` terminal-local time → aware UTC datetime; None if it is not a real time."""
    m = _TIME.fullmatch((text or "").strip())
    if m is None:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    ms = int(m.group(7) or 0)
    try:
        local = datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=CHINA)
    except ValueError:
        return None
    return local.astimezone(UTC)


def to_local(when: datetime) -> datetime:
    """An aware datetime as China wall time (for day boundaries, which follow the local calendar)."""
    return when.astimezone(CHINA)
