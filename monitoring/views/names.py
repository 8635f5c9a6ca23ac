"""Enterprise names for lists, kept per process for a minute: an alarm page names up to 50 enterprises, and a
registry read for each (through the store's one sqlite connection) was most of the list's time under 20 clients
(docs/api.md "Speed"). A rename shows within `max_age_s`; an id the registry does not know is answered as is."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from monitoring.registry.models import Enterprise


class EnterpriseNames:
    """enterprise id → name, each read from the registry at most once per `max_age_s`; thread-safe."""

    def __init__(self, max_age_s: float = 60.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, str]] = {}

    def names(self, find: Callable[[str], Enterprise | None], enterprise_ids: Iterable[str]) -> dict[str, str]:
        now = self._clock()
        out: dict[str, str] = {}
        with self._lock:
            for eid in enterprise_ids:
                hit = self._items.get(eid)
                if hit is not None and now - hit[0] < self.max_age_s:
                    out[eid] = hit[1]
                else:
                    out[eid] = ""
        for eid, name in out.items():
            if name:
                continue
            found = find(eid)
            out[eid] = eid if found is None else found.name
            if found is not None:
                with self._lock:
                    if len(self._items) > 10_000:  # a county has a few hundred; never grows without bound
                        self._items.clear()
                    self._items[eid] = (now, found.name)
        return out
