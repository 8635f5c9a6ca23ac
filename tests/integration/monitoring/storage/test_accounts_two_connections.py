"""Account uniqueness across connections to one sqlite file (the local platform runs the API and the CLI in
separate processes): the claim and the account are one BEGIN IMMEDIATE transaction, so exactly one wins."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitoring.accounts.models import Account, Role
from monitoring.errors import ConflictError
from monitoring.storage.sqlite import open_store

pytestmark = pytest.mark.integration
T = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_one_username_one_account_across_two_connections(tmp_path: Path) -> None:
    stores = [open_store(tmp_path / "g.db") for _ in range(2)]
    try:
        outcomes: list[str] = []
        barrier = threading.Barrier(8)

        def create(i: int) -> None:
            account = Account(f"a{i}", "same.name", "某人", Role.VIEWER, "rugao", phone=f"1390000000{i}", created_at=T)
            barrier.wait()
            try:
                stores[i % 2].accounts.put_account(account)
                outcomes.append("ok")
            except ConflictError:
                outcomes.append("conflict")

        threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
        winner = stores[1].accounts.find_by_username("same.name")
        assert winner is not None
        assert [stores[0].accounts.find_by_phone(f"1390000000{i}") for i in range(8)].count(None) == 7
    finally:
        for s in stores:
            s.close()
