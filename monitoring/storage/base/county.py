"""Where an alarm or report belongs: its enterprise's county, town and branch, looked up in the registry (the
records do not carry them). Adapters filter or key their county, branch and town lists by them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from monitoring.registry.models import Enterprise

Locate = Callable[[str], Enterprise | None]  # enterprise id → its registry record; None: not registered


class EnterpriseFinder(Protocol):
    def find_enterprise(self, enterprise_id: str) -> Enterprise | None: ...


def locator(registry: EnterpriseFinder) -> Locate:
    return registry.find_enterprise


def nowhere(enterprise_id: str) -> Enterprise | None:
    """The lookup of a repository used without a registry (unit tests, replay): no enterprise is placed."""
    return None


def placed(
    found: Enterprise | None,
    county_id: str | None,
    branch_ids: frozenset[str] | None = None,
    town_ids: frozenset[str] | None = None,
) -> bool:
    """Whether an enterprise (its registry record, None when unregistered) lies in the county, branches, towns
    asked for (None: any)."""
    if county_id is None and branch_ids is None and town_ids is None:
        return True
    return (
        found is not None
        and (county_id is None or found.county_id == county_id)
        and (branch_ids is None or found.branch_id in branch_ids)
        and (town_ids is None or found.town_id in town_ids)
    )
