"""Interval energy from cumulative counters (ep_fwd …): differences that survive resets and rollovers.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

OK: Final = "ok"
FIRST: Final = "first"  # no earlier reading to difference against
MISSING: Final = "missing"  # one of the two readings has no counter value
RESET: Final = "reset"
ROLLOVER: Final = "rollover"
IMPLAUSIBLE: Final = "implausible"  # a jump larger than the circuit could have used in the interval

# Registers wrap at a power of ten (HJ 212 i33201 is N13; meters commonly use 6–10 integer digits).
_WRAP_DIGITS: Final = range(4, 14)


@dataclass(frozen=True, slots=True)
class EnergyStep:
    """Energy used between two counter readings, in kWh (None when it cannot be known) and why."""

    kwh: float | None
    note: str


def rollover_modulus(previous: float, current: float) -> float | None:
    """The wrap value 10^k if `previous` → `current` looks like a register wrapping, else None."""
    for digits in _WRAP_DIGITS:
        modulus = 10.0**digits
        if previous < modulus <= previous * 1.12 and 0 <= current < modulus * 0.1:
            return modulus
    return None


def interval_energy(previous: float | None, current: float | None, *, max_kwh: float | None = None) -> EnergyStep:
    """Energy between two readings of one counter; `max_kwh` bounds what one interval can plausibly use."""
    if previous is None:
        return EnergyStep(None, FIRST)
    if current is None or not (math.isfinite(previous) and math.isfinite(current)):
        return EnergyStep(None, MISSING)
    delta = current - previous
    note = OK
    if delta < 0:
        modulus = rollover_modulus(previous, current)
        if modulus is None:
            return EnergyStep(0.0, RESET)
        delta, note = modulus - previous + current, ROLLOVER
    if max_kwh is not None and delta > max_kwh:
        return EnergyStep(None, IMPLAUSIBLE)
    return EnergyStep(delta, note)


def series_energy(
    samples: Iterable[tuple[datetime, float | None]], *, baseline: float | None = None, max_kwh: float | None = None
) -> tuple[float, list[EnergyStep]]:
    """Total kWh over time-ordered counter samples (each step is credited to its later sample), and the steps.

    `baseline` is the counter's last value before the first sample (e.g. the previous hour's last reading).
    """
    ordered: Sequence[tuple[datetime, float | None]] = sorted(samples, key=lambda s: s[0])
    steps: list[EnergyStep] = []
    total = 0.0
    previous = baseline
    for _, value in ordered:
        if value is None:
            steps.append(EnergyStep(None, MISSING))
            continue
        step = interval_energy(previous, value, max_kwh=max_kwh)
        steps.append(step)
        if step.kwh is not None:
            total += step.kwh
        previous = value
    return total, steps
