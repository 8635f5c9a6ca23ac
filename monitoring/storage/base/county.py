"""The county an alarm or report belongs to: its enterprise's, looked up in the registry (the records do not
carry it). Adapters filter or key their county lists by it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from monitoring.registry.models import Enterprise

CountyOf = Callable[[str], str | None]  # enterprise id → its county id; None: not in the registry


class EnterpriseFinder(Protocol):
    def find_enterprise(self, enterprise_id: str) -> Enterprise | None: ...


def county_of(registry: EnterpriseFinder) -> CountyOf:
    def lookup(enterprise_id: str) -> str | None:
        found = registry.find_enterprise(enterprise_id)
        return None if found is None else found.county_id

    return lookup


def no_county(enterprise_id: str) -> str | None:
    """The lookup of a repository used without a registry (unit tests, replay): no enterprise has a county."""
    return None
