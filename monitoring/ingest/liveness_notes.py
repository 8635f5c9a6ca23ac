"""A warm decode process's last-frame times on their way to the liveness sheets, each sheet written at most once a
period at its own moment (sheet k at k / LIVENESS_SHEETS of the period), so the writes spread evenly.

More: docs/decode.md, "Liveness sheets".
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from monitoring.errors import InvalidInputError, StorageUnavailableError
from monitoring.registry.liveness import LIVENESS_SHEETS, LivenessSheet, liveness_sheet
from monitoring.storage.ports import RegistryRepository

log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SheetKey = tuple[str, int]  # (county, sheet)


class LivenessNotes:
    """Pending times per sheet, the times already written (what readers see), and each sheet's last period."""

    def __init__(self, every: timedelta, max_entries: int = 100_000) -> None:
        if every <= timedelta(0):
            raise InvalidInputError("the liveness period must be positive")
        self.every, self.max_entries = every, max_entries
        self._pending: dict[SheetKey, dict[str, datetime]] = {}
        self._shown: OrderedDict[str, datetime] = OrderedDict()  # bounded like FrameGaps (least recently out)
        self._known: dict[SheetKey, LivenessSheet] = {}
        self._period: dict[SheetKey, int] = {}  # the period in which each sheet was last written
        self._broken: dict[SheetKey, int] = {}  # sheets that failed for good in a period: items carry theirs
        self.writes = 0  # sheet writes made (the cost bench's count)

    def _slot(self, at: datetime, sheet: int) -> int:
        seconds = (at - _EPOCH).total_seconds() - sheet * self.every.total_seconds() / LIVENESS_SHEETS
        return math.floor(seconds / self.every.total_seconds())

    def _boundary(self, slot: int, sheet: int) -> datetime:
        return _EPOCH + self.every * slot + self.every * sheet / LIVENESS_SHEETS

    def shown(self, mn: str) -> datetime | None:
        """The latest time this process has written for `mn` (None: none yet)."""
        return self._shown.get(mn)

    def visible_by(self, county_id: str, mn: str, now: datetime) -> datetime | None:
        """When a time noted now reaches the store: at this batch's end if its sheet was not written in the
        current period, else at the sheet's next moment; None while the sheet is failing (this period): decode then
        keeps the item's own cadence and notes nothing for it."""
        key = (county_id, liveness_sheet(mn))
        slot = self._slot(now, key[1])
        if self._broken.get(key) == slot:
            return None
        return now if self._period.get(key) != slot else self._boundary(slot + 1, key[1])

    def note(self, county_id: str, mn: str, at: datetime) -> None:
        if (shown := self._shown.get(mn)) is not None and at <= shown:
            return
        pending = self._pending.setdefault((county_id, liveness_sheet(mn)), {})
        if mn not in pending or at > pending[mn]:
            pending[mn] = at

    def flush_due(self, registry: RegistryRepository, now: datetime, *, everything: bool = False) -> int:
        """Write every sheet with pending times whose moment has come (`everything`: all of them, at a stop);
        returns how many were written. The store being unavailable raises and keeps what is pending (the batch is
        retried). Any other failure of a sheet (endless contention, say) is logged, its pending times go to the
        terminals' items, and for the rest of the period decode keeps their items' own cadence: one sheet never
        fails decode's batches."""
        written = 0
        for key in sorted(self._pending):
            slot = self._slot(now, key[1])
            if not everything and self._period.get(key) == slot:
                continue
            times, known = self._pending[key], self._known.get(key)
            try:
                stored = registry.record_terminals_alive(
                    key[0], times, now=now, known={key[1]: known} if known else None
                )
            except StorageUnavailableError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure of one sheet: its items take over
                log.error(
                    "liveness sheet not written; its terminals' items carry them this period",
                    extra={"fields": {"county": key[0], "sheet": key[1], "error": repr(exc)}},
                )
                del self._pending[key]
                self._known.pop(key, None)
                self._broken[key] = slot
                self._to_items(registry, times)
                continue
            del self._pending[key]  # only now: a failure keeps it for the retried batch
            self._period[key] = slot
            self._broken.pop(key, None)
            if not stored:  # nothing later than stored: readers already see these times or later ones
                self._show(times)
                continue
            sheet = self._known[key] = stored[0]
            written += 1
            self.writes += 1
            self._show({mn: at for mn, at in times.items() if sheet.time_of(mn) is not None})
        return written

    @staticmethod
    def _to_items(registry: RegistryRepository, times: dict[str, datetime]) -> None:
        """A failed sheet's pending times written to each terminal's item instead (forward only, as decode would)."""
        for mn, at in times.items():
            try:
                registry.record_terminal_seen(mn, at)
            except StorageUnavailableError:
                raise
            except Exception as exc:  # noqa: BLE001 - a terminal retired meanwhile: nothing to show
                log.warning("last frame not recorded", extra={"fields": {"mn": mn, "error": repr(exc)}})

    def _show(self, times: dict[str, datetime]) -> None:
        for mn, at in times.items():
            self._shown[mn] = at
            self._shown.move_to_end(mn)
        while len(self._shown) > self.max_entries:
            self._shown.popitem(last=False)
