"""The wiring's store wrapper (local mode's hook for the county host's buffered readings): applied once the store
is opened, and forgotten by the next `configure` like the dead-letter override."""

from __future__ import annotations

from dataclasses import replace

import pytest

from functions import _wiring
from monitoring.storage.ports import Store

pytestmark = pytest.mark.unit


def test_the_wrapper_replaces_parts_of_the_store_until_the_next_configure() -> None:
    seen: list[Store] = []

    def wrap(store: Store) -> Store:
        seen.append(store)
        return replace(store, sample_reader=None)

    _wiring.configure(_wiring.Settings(store_backend="memory"))
    try:
        plain = _wiring.get_store()
        _wiring.use_store_wrapper(wrap)
        wrapped = _wiring.get_store()
        assert wrapped is not plain and seen and wrapped.readings is seen[0].readings
        assert _wiring.get_store() is wrapped  # once per cold start, as the store itself
        _wiring.configure(_wiring.Settings(store_backend="memory"))
        assert _wiring.get_store() is not wrapped and len(seen) == 1  # a new configure forgets it
    finally:
        _wiring.configure(None)
