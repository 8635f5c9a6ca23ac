"""The county part of the alarm and report list keys on the `state` table: an enterprise's county (registry,
cached), and the directory of counties that have list entries, for the readers that span every county.

More: docs/dynamodb.md, §3 "Alarm and report lists per county".
"""

from __future__ import annotations

import threading

from monitoring.storage.base.county import CountyOf
from monitoring.storage.dynamodb._client import translate
from monitoring.storage.dynamodb.models import StateItem

UNPLACED = "-"  # the county key of an enterprise missing from the registry
_DIRECTORY = "listcounties"
_MAX_CACHED = 100_000  # enterprises; a province has fewer


class ListCounties:
    """Shared by a store's alarm and report repositories. An enterprise's county is read from the registry once
    per container (a county is not expected to change: see docs/dynamodb.md); a county is added to the directory
    before the first list entry under it that this container writes."""

    def __init__(self, model: type[StateItem], county_of: CountyOf) -> None:
        self._model = model
        self._county_of = county_of
        self._lock = threading.Lock()
        self._cached: dict[str, str] = {}
        self._listed: set[str] = set()

    def of(self, enterprise_id: str) -> str:
        """The enterprise's county key (UNPLACED when it is not registered; not cached, it may be soon)."""
        hit = self._cached.get(enterprise_id)
        if hit is not None:
            return hit
        county = self._county_of(enterprise_id)
        if county is None:
            return UNPLACED
        with self._lock:
            if len(self._cached) >= _MAX_CACHED:
                self._cached.clear()
            self._cached[enterprise_id] = county
        return county

    def for_write(self, enterprise_id: str) -> str:
        """`of`, with the county entered in the directory (one put per county and container)."""
        county = self.of(enterprise_id)
        if county not in self._listed:
            with translate("list county"):
                self._model(_DIRECTORY, county, t=_DIRECTORY).save()
            with self._lock:
                self._listed.add(county)
        return county

    def all(self) -> list[str]:
        """Every county key with list entries (strongly consistent: a county listed a moment ago is included)."""
        with translate("list counties"):
            return [i.sk for i in self._model.query(_DIRECTORY, consistent_read=True, attributes_to_get=["sk"])]

    def keys(self, county_id: str | None) -> list[str]:
        """The county keys a reader reads: the one asked for, or every county's."""
        return self.all() if county_id is None else [county_id]
