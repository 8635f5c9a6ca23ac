"""Shared fixtures of the accounts unit tests: an in-memory store's repository and a cheap argon2 hasher."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from monitoring.accounts.ports import AccountsRepository
from monitoring.storage.memory import memory_store

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 China time
CHEAP = PasswordHasher.from_parameters(CHEAPEST)


@pytest.fixture
def repo() -> AccountsRepository:
    return memory_store().accounts
