"""The place part of the alarm and report list keys on the `state` table: an enterprise's county, town and branch
(registry, cached), and the directory of counties that have list entries, for readers that span every county.

More: docs/dynamodb.md, §3 "Alarm and report lists per county".
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from monitoring.storage.base.county import Locate
from monitoring.storage.dynamodb._client import translate
from monitoring.storage.dynamodb.models import StateItem

UNPLACED = "-"  # the county, town and branch key of an enterprise missing from the registry
_DIRECTORY = "listcounties"
_MAX_CACHED = 100_000  # enterprises; a province has fewer


class Place(NamedTuple):
    county: str
    town: str
    branch: str


_NOWHERE = Place(UNPLACED, UNPLACED, UNPLACED)


class ListCounties:
    """Shared by a store's alarm and report repositories. An enterprise's place is read from the registry once
    per container (a record's list entries keep the place of its last write: docs/dynamodb.md); a county is added
    to the directory before the first list entry under it that this container writes."""

    def __init__(self, model: type[StateItem], locate: Locate) -> None:
        self._model = model
        self._locate = locate
        self._lock = threading.Lock()
        self._cached: dict[str, Place] = {}
        self._listed: set[str] = set()

    def place(self, enterprise_id: str) -> Place:
        """The enterprise's county, town and branch keys (UNPLACED when it is not registered; not cached)."""
        hit = self._cached.get(enterprise_id)
        if hit is not None:
            return hit
        found = self._locate(enterprise_id)
        if found is None:
            return _NOWHERE
        place = Place(found.county_id, found.town_id, found.branch_id)
        with self._lock:
            if len(self._cached) >= _MAX_CACHED:
                self._cached.clear()
            self._cached[enterprise_id] = place
        return place

    def of(self, enterprise_id: str) -> str:
        """The enterprise's county key."""
        return self.place(enterprise_id).county

    def for_write(self, enterprise_id: str) -> Place:
        """`place`, with the county entered in the directory (one put per county and container)."""
        place = self.place(enterprise_id)
        if place.county not in self._listed:
            with translate("list county"):
                self._model(_DIRECTORY, place.county, t=_DIRECTORY).save()
            with self._lock:
                self._listed.add(place.county)
        return place

    def all(self) -> list[str]:
        """Every county key with list entries (strongly consistent: a county listed a moment ago is included)."""
        with translate("list counties"):
            return [i.sk for i in self._model.query(_DIRECTORY, consistent_read=True, attributes_to_get=["sk"])]

    def keys(self, county_id: str | None) -> list[str]:
        """The county keys a reader reads: the one asked for, or every county's."""
        return self.all() if county_id is None else [county_id]
