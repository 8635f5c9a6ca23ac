"""The alarm list over the store: a caller's scope and the town/branch/enterprise filters become one set of
enterprise ids that the list index is read with."""

from __future__ import annotations

from collections.abc import Iterable

from monitoring.alarms.listing import AlarmPage, AlarmQuery, Position
from monitoring.storage.ports import Store


def narrow(
    store: Store,
    county_id: str,
    visible: frozenset[str] | None,
    *,
    towns: Iterable[str] = (),
    branches: Iterable[str] = (),
    enterprises: Iterable[str] = (),
) -> frozenset[str] | None:
    """The enterprises a list may show: the scope (None: the whole county) cut by each filter given; an empty
    set when nothing is left. Town and branch filters read the registry's per-town/per-branch lists."""
    out = visible
    towns, branches, chosen = set(towns), set(branches), set(enterprises)
    for kind, values in (("town", towns), ("branch", branches)):
        if not values:
            continue
        found: set[str] = set()
        for value in sorted(values):
            listed = (
                store.registry.list_enterprises(county_id, town_id=value)
                if kind == "town"
                else store.registry.list_enterprises(county_id, branch_id=value)
            )
            found.update(e.enterprise_id for e in listed)
        out = frozenset(found) if out is None else out & found
    if chosen:
        out = frozenset(chosen) if out is None else out & chosen
    return out


def list_alarms(store: Store, query: AlarmQuery, *, after: Position | None, limit: int) -> AlarmPage:
    return store.alarms.page(query, after=after, limit=limit)
