"""Password policy (Chinese messages), argon2id hashing and verification, rehash on changed parameters."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from monitoring.accounts.errors import AccountInputError
from monitoring.accounts.passwords import check_policy, hash_password, needs_rehash, verify_password
from tests.unit.monitoring.accounts.conftest import CHEAP


@pytest.mark.parametrize("bad", ["short1", "12345678901", " leading-space", "x" * 129, "tab\tinside!"])
def test_policy_refuses_weak_passwords_in_chinese(bad: str) -> None:
    with pytest.raises(AccountInputError) as caught:
        check_policy(bad)
    assert caught.value.field == "password" and caught.value.code == "weak_password"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


def test_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse", CHEAP)
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse", CHEAP)
    assert not verify_password(stored, "correct horsE", CHEAP)
    assert not verify_password(None, "correct horse", CHEAP)
    assert not verify_password("not a hash", "correct horse", CHEAP)


def test_rehash_needed_when_parameters_change() -> None:
    stored = hash_password("correct horse", CHEAP)
    assert not needs_rehash(stored, CHEAP)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    assert needs_rehash(stored, stronger)
