"""The one opener on sqlite: one store over one file, every repository reading what another wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring.storage.opener import StoreLocation, open_store_at

pytestmark = pytest.mark.integration


def test_sqlite_store_opens_at_its_path_and_persists(tmp_path: Path) -> None:
    where = StoreLocation(backend="sqlite", sqlite_path=str(tmp_path / "g.db"))
    store = open_store_at(where)
    store.rule_state.put("tick", {"at": "2026-12-06T00:00:00+00:00"})
    store.close()
    again = open_store_at(where)
    try:
        assert again.rule_state.get("tick") == {"at": "2026-12-06T00:00:00+00:00"}
    finally:
        again.close()
