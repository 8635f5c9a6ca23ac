"""Decode a batch of frame records, telling a store outage from a poison record.

More: docs/decode.md, "Module notes".
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitoring.errors import StorageUnavailableError
from monitoring.ingest.decode import Decoder, DecodeReport

log = logging.getLogger(__name__)
TRANSIENT: tuple[type[BaseException], ...] = (StorageUnavailableError, OSError)
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Poison:
    """A record set aside for its content: `reason` is one line, `error` the exception with its traceback."""

    item_id: str
    data: bytes
    reason: str
    error: str


class DeadLetters(Protocol):
    """Where poison records are set aside for an operator to inspect and requeue. Idempotent per item id;
    raises StorageUnavailableError when it cannot take them (the batch is then retried)."""

    def set_aside(self, poison: Sequence[Poison]) -> None: ...


@dataclass
class IsolatedBatch:
    """The reports of the parts that were stored, and the poison records, in batch order."""

    reports: list[DecodeReport] = field(default_factory=list)
    poison: list[Poison] = field(default_factory=list)

    def report(self) -> DecodeReport:
        """The parts' reports added up."""
        total = DecodeReport()
        for part in self.reports:
            total.outcomes.update(part.outcomes)
            for name in ("readings_new", "readings_duplicate", "events_new", "unknown_codes", "unbound_channels"):
                setattr(total, name, getattr(total, name) + getattr(part, name))
            total.rollups += part.rollups
        return total


def is_transient(exc: BaseException, transient: tuple[type[BaseException], ...] = TRANSIENT) -> bool:
    """Whether `exc`, or an error it was raised from or while handling, is a store outage."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, transient):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def decode_isolating(
    items: Sequence[tuple[str, bytes]],
    new_decoder: Callable[[], Decoder],
    *,
    transient: tuple[type[BaseException], ...] = TRANSIENT,
) -> IsolatedBatch:
    """Decode (item id, record bytes) pairs; raises on a store outage, returns poison instead of raising."""
    out = IsolatedBatch()
    _decode_part(list(items), new_decoder, transient, out)
    return out


def _decode_part(
    items: list[tuple[str, bytes]],
    new_decoder: Callable[[], Decoder],
    transient: tuple[type[BaseException], ...],
    out: IsolatedBatch,
) -> None:
    decoder = new_decoder()
    rejected: list[Poison] = []
    try:
        for item_id, data in items:
            if decoder.decode(data) == REJECTED:
                rejected.append(Poison(item_id, data, "not a valid frame record", decoder.last_rejection))
        report = decoder.flush()
    except Exception as exc:
        if is_transient(exc, transient):
            raise
        if len(items) == 1:
            (item_id, data) = items[0]
            error = "".join(traceback.format_exception(exc))
            out.poison.append(Poison(item_id, data, f"{type(exc).__name__}: {exc}"[:500], error))
            log.error("poison frame record set aside", extra={"item": item_id, "error": repr(exc)})
            return
        log.warning("a batch failed for its content; bisecting", extra={"records": len(items), "error": repr(exc)})
        middle = len(items) // 2
        _decode_part(items[:middle], new_decoder, transient, out)
        _decode_part(items[middle:], new_decoder, transient, out)
        return
    out.reports.append(report)
    out.poison.extend(rejected)
