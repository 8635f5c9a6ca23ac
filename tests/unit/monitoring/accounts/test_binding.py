"""WeChat binding: one-time invitations, SMS login codes with their limits, direct bind and unbind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.accounts.binding import (
    INVITATION_ALPHABET,
    SMS_PER_DAY,
    bind_openid,
    create_invitation,
    issue_sms_code,
    redeem_invitation,
    unbind_openid,
    verify_sms_code,
)
from monitoring.accounts.errors import AccountInputError, AuthError
from monitoring.accounts.models import Account, Role
from monitoring.accounts.ports import AccountsRepository
from monitoring.accounts.service import disable_account
from monitoring.errors import NotFoundError
from tests.unit.monitoring.accounts.conftest import NOW

PHONE = "13800000001"


@pytest.fixture
def account(repo: AccountsRepository) -> Account:
    made = Account("u1", "ent.one", "企业联系人", Role.ENTERPRISE, "320682", phone=PHONE, enterprise_ids=("E1",))
    return repo.put_account(made)


@pytest.fixture
def other(repo: AccountsRepository) -> Account:
    made = Account("u2", "ent.two", "另一人", Role.VIEWER, "320682", phone="13800000002", wechat_openid="o-other")
    return repo.put_account(made)


def _code(err: pytest.ExceptionInfo[AuthError]) -> str:
    return err.value.code


# ---- invitations ------------------------------------------------------------------------------------------
def test_invitation_code_is_unambiguous_and_stored_hashed(repo: AccountsRepository, account: Account) -> None:
    code = create_invitation(repo, account.id, NOW)
    assert 8 <= len(code) <= 10 and set(code) <= set(INVITATION_ALPHABET)
    assert not set("0O1IL") & set(INVITATION_ALPHABET)
    (stored,) = repo.invitations_of(account.id)
    assert code not in stored.code_hash and stored.expires_at == NOW + timedelta(hours=72)


def test_redeem_binds_the_openid_once(repo: AccountsRepository, account: Account) -> None:
    code = create_invitation(repo, account.id, NOW)
    typed = f" {code[:5].lower()}-{code[5:]} "  # as typed from paper
    bound = redeem_invitation(repo, typed, "o-new", NOW + timedelta(hours=1))
    assert bound.id == account.id and bound.wechat_openid == "o-new"
    assert repo.find_by_openid("o-new") == bound
    with pytest.raises(AuthError) as caught:
        redeem_invitation(repo, code, "o-third", NOW + timedelta(hours=2))
    assert _code(caught) == "invitation_invalid"
    assert repo.get_account(account.id).wechat_openid == "o-new"


def test_expired_or_unknown_invitation_is_invalid(repo: AccountsRepository, account: Account) -> None:
    code = create_invitation(repo, account.id, NOW, ttl=timedelta(hours=1))
    expires = NOW + timedelta(hours=1)
    for bad, at in [(code, expires), ("ABCDEFGHJK", NOW), ("short", NOW), ("", NOW)]:
        with pytest.raises(AuthError) as caught:
            redeem_invitation(repo, bad, "o-new", at)
        assert _code(caught) == "invitation_invalid"
    assert redeem_invitation(repo, code, "o-new", expires - timedelta(seconds=1)).wechat_openid == "o-new"


def test_a_new_invitation_voids_the_earlier_one(repo: AccountsRepository, account: Account) -> None:
    first = create_invitation(repo, account.id, NOW)
    second = create_invitation(repo, account.id, NOW + timedelta(minutes=1))
    with pytest.raises(AuthError):
        redeem_invitation(repo, first, "o-new", NOW + timedelta(minutes=2))
    assert redeem_invitation(repo, second, "o-new", NOW + timedelta(minutes=2)).wechat_openid == "o-new"


def test_openid_of_another_account_is_refused_and_the_code_kept(
    repo: AccountsRepository, account: Account, other: Account
) -> None:
    code = create_invitation(repo, account.id, NOW)
    with pytest.raises(AuthError) as caught:
        redeem_invitation(repo, code, "o-other", NOW)
    assert _code(caught) == "openid_taken"
    assert repo.get_account(account.id).wechat_openid is None
    assert redeem_invitation(repo, code, "o-mine", NOW).wechat_openid == "o-mine"


def test_invitation_for_disabled_or_unknown_account(repo: AccountsRepository, account: Account) -> None:
    code = create_invitation(repo, account.id, NOW)
    disable_account(repo, account.id, NOW)
    with pytest.raises(AuthError) as caught:
        redeem_invitation(repo, code, "o-new", NOW)
    assert _code(caught) == "account_disabled"
    with pytest.raises(AuthError):
        create_invitation(repo, account.id, NOW)
    with pytest.raises(NotFoundError):
        create_invitation(repo, "nobody", NOW)
    with pytest.raises(AccountInputError):
        redeem_invitation(repo, code, "", NOW)


# ---- SMS codes ----------------------------------------------------------------------------------------------
def test_sms_code_signs_in_and_binds(repo: AccountsRepository, account: Account) -> None:
    code = issue_sms_code(repo, PHONE, NOW)
    assert len(code) == 6 and code.isdigit()
    stored = repo.get_sms_code(PHONE)
    assert stored is not None and code not in stored.code_hash
    signed_in = verify_sms_code(repo, PHONE, code, "o-sms", NOW + timedelta(minutes=4))
    assert signed_in.id == account.id and signed_in.wechat_openid == "o-sms"
    with pytest.raises(AuthError) as caught:  # once only
        verify_sms_code(repo, PHONE, code, None, NOW + timedelta(minutes=4))
    assert _code(caught) == "sms_code_invalid"


def test_sms_code_expires_after_5_minutes(repo: AccountsRepository, account: Account) -> None:
    code = issue_sms_code(repo, PHONE, NOW)
    with pytest.raises(AuthError) as caught:
        verify_sms_code(repo, PHONE, code, None, NOW + timedelta(minutes=5))
    assert _code(caught) == "sms_code_invalid"


def test_five_wrong_tries_void_the_code(repo: AccountsRepository, account: Account) -> None:
    code = issue_sms_code(repo, PHONE, NOW)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(AuthError):
            verify_sms_code(repo, PHONE, wrong, None, NOW)
    with pytest.raises(AuthError) as caught:
        verify_sms_code(repo, PHONE, code, None, NOW)  # the right one, too late
    assert _code(caught) == "sms_code_invalid"


def test_four_wrong_tries_still_allow_the_right_code(repo: AccountsRepository, account: Account) -> None:
    code = issue_sms_code(repo, PHONE, NOW)
    for bad in ["000000x", "", "1" * 100, "abcdef"]:
        with pytest.raises(AuthError):
            verify_sms_code(repo, PHONE, bad, None, NOW)
    assert verify_sms_code(repo, PHONE, code, None, NOW).id == account.id


def test_sms_rate_limits(repo: AccountsRepository, account: Account) -> None:
    issue_sms_code(repo, PHONE, NOW)
    with pytest.raises(AuthError) as caught:
        issue_sms_code(repo, PHONE, NOW + timedelta(seconds=20))
    assert _code(caught) == "sms_rate_limited" and caught.value.retry_after_s == 40
    at = NOW
    for _ in range(SMS_PER_DAY - 1):
        at += timedelta(seconds=60)
        issue_sms_code(repo, PHONE, at)
    with pytest.raises(AuthError) as caught:  # the 11th of the China day (NOW is 10:00 there)
        issue_sms_code(repo, PHONE, at + timedelta(minutes=5))
    assert _code(caught) == "sms_rate_limited"
    assert caught.value.retry_after_s == int(timedelta(hours=14).total_seconds()) - 14 * 60
    next_day = NOW + timedelta(hours=14)  # 00:00 China time
    assert len(issue_sms_code(repo, PHONE, next_day)) == 6


def test_the_new_code_replaces_the_old(repo: AccountsRepository, account: Account) -> None:
    old = issue_sms_code(repo, PHONE, NOW)
    new = issue_sms_code(repo, PHONE, NOW + timedelta(seconds=61))
    if old != new:
        with pytest.raises(AuthError):
            verify_sms_code(repo, PHONE, old, None, NOW + timedelta(seconds=62))
    assert verify_sms_code(repo, PHONE, new, None, NOW + timedelta(seconds=62)).id == account.id


def test_sms_for_unknown_or_disabled_phone(repo: AccountsRepository, account: Account) -> None:
    with pytest.raises(AuthError) as caught:
        issue_sms_code(repo, "13900000009", NOW)
    assert _code(caught) == "phone_not_registered"
    code = issue_sms_code(repo, PHONE, NOW)
    disable_account(repo, account.id, NOW)
    with pytest.raises(AuthError) as caught:
        verify_sms_code(repo, PHONE, code, None, NOW)
    assert _code(caught) == "account_disabled"
    with pytest.raises(AccountInputError):
        issue_sms_code(repo, "12345", NOW)


def test_sms_refuses_an_openid_of_another_account(repo: AccountsRepository, account: Account, other: Account) -> None:
    code = issue_sms_code(repo, PHONE, NOW)
    with pytest.raises(AuthError) as caught:
        verify_sms_code(repo, PHONE, code, "o-other", NOW)
    assert _code(caught) == "openid_taken"
    assert verify_sms_code(repo, PHONE, code, "o-free", NOW).wechat_openid == "o-free"  # the code survived


# ---- direct binding -----------------------------------------------------------------------------------------
def test_bind_and_unbind(repo: AccountsRepository, account: Account, other: Account) -> None:
    assert bind_openid(repo, account.id, "o-a", NOW).wechat_openid == "o-a"
    with pytest.raises(AuthError) as caught:
        bind_openid(repo, account.id, "o-other", NOW)
    assert _code(caught) == "openid_taken"
    unbound = unbind_openid(repo, account.id, NOW + timedelta(minutes=1))
    assert unbound.wechat_openid is None and unbound.updated_at == NOW + timedelta(minutes=1)
    assert repo.find_by_openid("o-a") is None
    assert bind_openid(repo, other.id, "o-a", NOW).wechat_openid == "o-a"
    assert unbound.version == 3
