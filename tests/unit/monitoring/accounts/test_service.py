"""Account creation and its input checks, sign-in by user name or phone, lockout, disable/enable, passwords."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from monitoring.accounts.errors import AccountInputError, AuthError, DuplicateError
from monitoring.accounts.models import Account, Role
from monitoring.accounts.ports import AccountsRepository
from monitoring.accounts.refresh import issue_refresh, rotate_refresh
from monitoring.accounts.service import (
    authenticate,
    create_account,
    disable_account,
    enable_account,
    set_password,
)
from monitoring.errors import InvalidInputError
from monitoring.storage.accounts_memory import MemoryAccountsRepository
from monitoring.storage.base.accounts import DocWrite
from tests.unit.monitoring.accounts.conftest import CHEAP, NOW

PASSWORD = "s3cret-pass"


def _create(repo: AccountsRepository, **kw: object) -> Account:
    fields: dict[str, object] = {
        "username": "zhang.san",
        "display_name": "张三",
        "role": "branch",
        "county_id": "320682",
        "phone": "13800000001",
        "branch_id": "B1",
        "password": PASSWORD,
        "hasher": CHEAP,
    }
    fields.update(kw)
    return create_account(repo, NOW, **fields)  # type: ignore[arg-type]


def test_create_account_stores_a_hashed_password(repo: AccountsRepository) -> None:
    account = _create(repo)
    stored = repo.get_account(account.id)
    assert stored.role is Role.BRANCH and stored.version == 1 and stored.created_at == NOW
    assert stored.password_hash is not None and PASSWORD not in stored.password_hash


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "张三"}, "username"),
        ({"username": "a b c"}, "username"),
        ({"phone": "23800000001"}, "phone"),
        ({"phone": "1380000000"}, "phone"),
        ({"role": "boss"}, "role"),
        ({"branch_id": None}, "branch_id"),
        ({"role": "town", "branch_id": None}, "town_id"),
        ({"role": "enterprise"}, "enterprise_ids"),
        ({"role": "installer"}, "enterprise_ids"),
        ({"display_name": "  "}, "display_name"),
        ({"password": "12345678"}, "password"),
        ({"password": "short"}, "password"),
    ],
)
def test_create_account_refuses_bad_input_naming_the_field(
    repo: AccountsRepository, change: dict[str, object], field: str
) -> None:
    with pytest.raises(AccountInputError) as caught:
        _create(repo, **change)
    assert caught.value.field == field
    assert repo.list_accounts("320682") == []


def test_role_specific_scope_fields_are_accepted(repo: AccountsRepository) -> None:
    ent = _create(repo, username="ent", phone="", role="enterprise", branch_id=None, enterprise_ids=["E1"])
    inst = _create(repo, username="inst", phone="", role="installer", branch_id=None, terminal_mns=["MN1"])
    viewer = _create(repo, username="view", phone="", role="viewer", branch_id=None, password=None)
    assert ent.enterprise_ids == ("E1",) and inst.terminal_mns == ("MN1",)
    assert viewer.password_hash is None


def test_duplicate_username_or_phone_refused(repo: AccountsRepository) -> None:
    _create(repo)
    with pytest.raises(DuplicateError):
        _create(repo, username="ZHANG.SAN", phone="")
    with pytest.raises(DuplicateError):
        _create(repo, username="other")


def test_authenticate_by_username_or_phone(repo: AccountsRepository) -> None:
    account = _create(repo)
    assert authenticate(repo, "zhang.san", PASSWORD, NOW, hasher=CHEAP).id == account.id
    assert authenticate(repo, "13800000001", PASSWORD, NOW, hasher=CHEAP).id == account.id
    assert authenticate(repo, " Zhang.San ", PASSWORD, NOW, hasher=CHEAP).id == account.id


def test_unknown_user_and_wrong_password_answer_alike(repo: AccountsRepository) -> None:
    _create(repo)
    answers = []
    for login, password in [("nobody", PASSWORD), ("zhang.san", "wrong-pass"), ("", ""), ("x" * 10_000, "p")]:
        with pytest.raises(AuthError) as caught:
            authenticate(repo, login, password, NOW, hasher=CHEAP)
        answers.append((caught.value.code, caught.value.message, caught.value.retry_after_s))
    assert len(set(answers)) == 1 and answers[0][0] == "invalid_credentials"


def test_five_failures_within_15_minutes_lock_for_15_minutes(repo: AccountsRepository) -> None:
    _create(repo)
    for i in range(4):
        with pytest.raises(AuthError) as caught:
            authenticate(repo, "zhang.san", "wrong-pass", NOW + timedelta(minutes=i), hasher=CHEAP)
        assert caught.value.code == "invalid_credentials"
    fifth = NOW + timedelta(minutes=4)
    with pytest.raises(AuthError) as caught:
        authenticate(repo, "zhang.san", "wrong-pass", fifth, hasher=CHEAP)
    assert caught.value.code == "account_locked" and caught.value.retry_after_s == 15 * 60
    # Locked: even the right password is refused, with the time left.
    with pytest.raises(AuthError) as caught:
        authenticate(repo, "zhang.san", PASSWORD, fifth + timedelta(minutes=10), hasher=CHEAP)
    assert caught.value.code == "account_locked" and caught.value.retry_after_s == 5 * 60
    # After the lock, the right password works and the counter starts afresh.
    after = fifth + timedelta(minutes=15)
    account = authenticate(repo, "zhang.san", PASSWORD, after, hasher=CHEAP)
    assert account.failed_logins == 0 and account.locked_until is None


def test_failures_spread_beyond_the_window_do_not_lock(repo: AccountsRepository) -> None:
    _create(repo)
    for i in range(8):
        with pytest.raises(AuthError) as caught:
            authenticate(repo, "zhang.san", "wrong-pass", NOW + timedelta(minutes=8 * i), hasher=CHEAP)
        assert caught.value.code == "invalid_credentials"


def test_success_resets_the_failure_count(repo: AccountsRepository) -> None:
    _create(repo)
    for round_ in range(3):
        base = NOW + timedelta(minutes=round_)
        for _ in range(4):
            with pytest.raises(AuthError):
                authenticate(repo, "zhang.san", "wrong-pass", base, hasher=CHEAP)
        assert authenticate(repo, "zhang.san", PASSWORD, base, hasher=CHEAP).failed_logins == 0


def test_disabled_account_refused_only_with_the_right_password(repo: AccountsRepository) -> None:
    account = _create(repo)
    disable_account(repo, account.id, NOW)
    with pytest.raises(AuthError) as caught:
        authenticate(repo, "zhang.san", "wrong-pass", NOW, hasher=CHEAP)
    assert caught.value.code == "invalid_credentials"
    with pytest.raises(AuthError) as caught:
        authenticate(repo, "zhang.san", PASSWORD, NOW, hasher=CHEAP)
    assert caught.value.code == "account_disabled"
    enable_account(repo, account.id, NOW)
    assert authenticate(repo, "zhang.san", PASSWORD, NOW, hasher=CHEAP).disabled is False


def test_disable_revokes_every_refresh_family(repo: AccountsRepository) -> None:
    account = _create(repo)
    web = issue_refresh(repo, account.id, NOW, "web")
    phone = issue_refresh(repo, account.id, NOW, "miniprogram")
    disable_account(repo, account.id, NOW)
    assert all(f.revoked_at == NOW for f in repo.families_of(account.id))
    enable_account(repo, account.id, NOW)
    for token in (web, phone):  # enabling again does not bring old sessions back
        with pytest.raises(AuthError) as caught:
            rotate_refresh(repo, token, NOW)
        assert caught.value.code == "refresh_invalid"


def test_set_password_replaces_the_old_one_and_signs_out(repo: AccountsRepository) -> None:
    account = _create(repo)
    token = issue_refresh(repo, account.id, NOW, "web")
    set_password(repo, account.id, "new-secret-1", NOW, hasher=CHEAP)
    with pytest.raises(AuthError):
        authenticate(repo, "zhang.san", PASSWORD, NOW, hasher=CHEAP)
    assert authenticate(repo, "zhang.san", "new-secret-1", NOW, hasher=CHEAP).id == account.id
    with pytest.raises(AuthError):
        rotate_refresh(repo, token, NOW)
    with pytest.raises(AccountInputError):
        set_password(repo, account.id, "123456789", NOW, hasher=CHEAP)


def test_sign_in_upgrades_an_outdated_hash(repo: AccountsRepository) -> None:
    account = _create(repo)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    signed_in = authenticate(repo, "zhang.san", PASSWORD, NOW, hasher=stronger)
    assert signed_in.password_hash != account.password_hash
    assert signed_in.password_hash is not None and "t=2" in signed_in.password_hash
    assert authenticate(repo, "zhang.san", PASSWORD, NOW, hasher=stronger).password_hash == signed_in.password_hash


def test_naive_now_is_refused(repo: AccountsRepository) -> None:
    _create(repo)
    with pytest.raises(InvalidInputError, match="naive"):
        authenticate(repo, "zhang.san", PASSWORD, NOW.replace(tzinfo=None), hasher=CHEAP)


class _LosesOneRace(MemoryAccountsRepository):
    """A real second writer: the first account write finds the account changed under it in between its read
    and its write (the window a parallel sign-in on another connection can hit)."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def _write(self, writes: Sequence[DocWrite]) -> None:
        if self.armed and writes[0].kind == "account":
            self.armed = False
            body = self._get_doc("account", writes[0].key)
            assert body is not None
            rival = {
                **body,
                "failed_logins": 3,
                "first_failed_at": NOW.isoformat(),
                "version": int(body["version"]) + 1,
            }
            super()._write([DocWrite("account", writes[0].key, rival, int(body["version"]), writes[0].index)])
        super()._write(writes)


def test_a_lost_race_is_retried_on_the_fresh_record() -> None:
    repo = _LosesOneRace()
    account = _create(repo)
    repo.armed = True
    with pytest.raises(AuthError):
        authenticate(repo, "zhang.san", "wrong-pass", NOW, hasher=CHEAP)
    stored = repo.get_account(account.id)
    assert stored.failed_logins == 4 and stored.version == 3  # the rival's 3 failures, then ours on top
