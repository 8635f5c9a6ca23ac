"""Deterministic noise: a pure function of (seed, stream, instant), so any terminal evaluating the same
circuit at the same simulated instant gets the same value, whatever order tasks run in."""

from __future__ import annotations

import math
from datetime import datetime

_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    # splitmix64 finaliser: cheap, well-distributed bits from consecutive integers.
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _key(seed: int, stream: int, tick: int) -> int:
    return (seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03 + tick * 0x94D049BB133111EB) & _MASK


def uniform(seed: int, stream: int, tick: int) -> float:
    """A value in [0, 1) determined by its three arguments."""
    return _mix(_key(seed, stream, tick)) / 2.0**64


def gauss(seed: int, stream: int, tick: int) -> float:
    """A standard normal value (Box–Muller on the two 32-bit halves of one mixed word)."""
    # _mix(_key(seed, stream, tick)) written out: this runs several times per sample of every channel.
    x = (
        (seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03 + tick * 0x94D049BB133111EB) + 0x9E3779B97F4A7C15
    ) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    x ^= x >> 31
    u1 = max((x >> 32) / 2.0**32, 1e-12)
    u2 = (x & 0xFFFFFFFF) / 2.0**32
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


_TICKS: dict[datetime, int] = {}


def tick_of(t: datetime) -> int:
    """int(t.timestamp()), remembered: every terminal samples the same grid instants, and a naive
    datetime's timestamp goes through the C library's local-time conversion."""
    tick = _TICKS.get(t)
    if tick is None:
        if len(_TICKS) > 4096:
            _TICKS.clear()
        tick = _TICKS[t] = int(t.timestamp())
    return tick


def stream_id(text: str) -> int:
    """A stable integer for a name (Python's hash() is salted per process, so not usable)."""
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & _MASK
    return h
