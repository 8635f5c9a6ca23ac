"""Rotating refresh tokens: issue, rotate within the family, reuse revokes the family, expiry, logout."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from monitoring.accounts.errors import AccountInputError, AuthError
from monitoring.accounts.models import Account, Role
from monitoring.accounts.ports import AccountsRepository
from monitoring.accounts.refresh import (
    REFRESH_TTL,
    issue_refresh,
    revoke_family_of,
    rotate_refresh,
    token_hash,
)
from monitoring.accounts.service import disable_account
from monitoring.errors import NotFoundError
from tests.unit.monitoring.accounts.conftest import NOW


@pytest.fixture
def account(repo: AccountsRepository) -> Account:
    return repo.put_account(Account("u1", "viewer.one", "只读一", Role.VIEWER, "320682", created_at=NOW))


def test_issue_returns_256_random_bits_and_stores_only_the_hash(repo: AccountsRepository, account: Account) -> None:
    token = issue_refresh(repo, account.id, NOW, "web")
    assert len(token) >= 43 and token != issue_refresh(repo, account.id, NOW, "web")
    stored = repo.get_refresh_token(token_hash(token))
    assert stored is not None and stored.expires_at == NOW + REFRESH_TTL and stored.channel == "web"
    assert repo.get_refresh_token(token) is None  # not stored under its own text


def test_issue_refuses_unknown_account_and_channel(repo: AccountsRepository, account: Account) -> None:
    with pytest.raises(NotFoundError):
        issue_refresh(repo, "nobody", NOW, "web")
    with pytest.raises(AccountInputError):
        issue_refresh(repo, account.id, NOW, "fax")


def test_rotation_swaps_the_token_within_its_family(repo: AccountsRepository, account: Account) -> None:
    first = issue_refresh(repo, account.id, NOW, "miniprogram")
    who, second = rotate_refresh(repo, first, NOW + timedelta(hours=1))
    assert who.id == account.id and second != first
    old, new = repo.get_refresh_token(token_hash(first)), repo.get_refresh_token(token_hash(second))
    assert old is not None and new is not None and old.family_id == new.family_id
    assert old.used_at == NOW + timedelta(hours=1) and new.channel == "miniprogram"
    _, third = rotate_refresh(repo, second, NOW + timedelta(hours=2))
    assert third not in (first, second)


def test_reuse_revokes_the_whole_family(repo: AccountsRepository, account: Account) -> None:
    first = issue_refresh(repo, account.id, NOW, "web")
    other_device = issue_refresh(repo, account.id, NOW, "web")
    _, second = rotate_refresh(repo, first, NOW)
    with pytest.raises(AuthError) as caught:
        rotate_refresh(repo, first, NOW + timedelta(minutes=1))  # the stolen copy comes back
    assert caught.value.code == "refresh_reused"
    with pytest.raises(AuthError) as caught:
        rotate_refresh(repo, second, NOW + timedelta(minutes=2))  # so the legitimate successor is dead too
    assert caught.value.code == "refresh_invalid"
    rotate_refresh(repo, other_device, NOW)  # another family is untouched


def test_concurrent_rotation_of_one_token_lets_at_most_one_through(repo: AccountsRepository, account: Account) -> None:
    token = issue_refresh(repo, account.id, NOW, "web")
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def rotate() -> None:
        barrier.wait()
        try:
            rotate_refresh(repo, token, NOW)
            outcomes.append("ok")
        except AuthError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=rotate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcomes.count("ok") <= 1 and len(outcomes) == 4
    assert set(outcomes) - {"ok"} <= {"refresh_reused", "refresh_invalid"}


def test_expired_unknown_and_malformed_tokens_are_invalid(repo: AccountsRepository, account: Account) -> None:
    token = issue_refresh(repo, account.id, NOW, "web")
    for bad, at in [(token, NOW + REFRESH_TTL), ("nope", NOW), ("", NOW), ("x" * 5000, NOW)]:
        with pytest.raises(AuthError) as caught:
            rotate_refresh(repo, bad, at)
        assert caught.value.code == "refresh_invalid"
    assert rotate_refresh(repo, token, NOW + REFRESH_TTL - timedelta(seconds=1))[0].id == account.id


def test_logout_revokes_the_family(repo: AccountsRepository, account: Account) -> None:
    token = issue_refresh(repo, account.id, NOW, "web")
    _, second = rotate_refresh(repo, token, NOW)
    assert revoke_family_of(repo, token, NOW) is True  # any token of the family signs it out
    with pytest.raises(AuthError) as caught:
        rotate_refresh(repo, second, NOW)
    assert caught.value.code == "refresh_invalid"
    assert revoke_family_of(repo, "unknown", NOW) is False


def test_disabled_account_cannot_rotate(repo: AccountsRepository, account: Account) -> None:
    token = issue_refresh(repo, account.id, NOW, "web")
    # Disabled behind the revocation's back (e.g. a family list that missed this one): the check still holds.
    repo.put_account(Account(**{**account.__dict__, "disabled": True}))
    with pytest.raises(AuthError) as caught:
        rotate_refresh(repo, token, NOW)
    assert caught.value.code == "account_disabled"
    disable_account(repo, account.id, NOW)
