"""Account services: create, sign in with lockout, disable/enable, set password. Functions take the repository
and `now`; refresh tokens are in `refresh`, invitations, SMS codes and openid bindings in `binding`."""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher

from monitoring._time import require_utc
from monitoring.accounts.errors import AuthError, DuplicateError
from monitoring.accounts.models import PHONE, Account, Role
from monitoring.accounts.passwords import DEFAULT_HASHER, hash_password, needs_rehash, verify_password
from monitoring.accounts.ports import AccountsRepository
from monitoring.accounts.refresh import revoke_all
from monitoring.errors import ConflictError

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
_RETRIES = 8

INVALID_CREDENTIALS = "用户名或密码错误"


def create_account(
    repo: AccountsRepository,
    now: datetime,
    *,
    username: str,
    display_name: str,
    role: Role | str,
    county_id: str,
    phone: str = "",
    branch_id: str | None = None,
    town_id: str | None = None,
    enterprise_ids: Iterable[str] = (),
    terminal_mns: Iterable[str] = (),
    password: str | None = None,
    hasher: PasswordHasher = DEFAULT_HASHER,
) -> Account:
    """Store a new account. AccountInputError (with its field) on bad input, DuplicateError when the user name,
    phone or openid is taken. Without a password the person signs in through WeChat (invitation or SMS)."""
    now = require_utc(now, "now")
    account = Account(
        id=uuid.uuid4().hex,
        username=username,
        display_name=display_name,
        role=role,  # type: ignore[arg-type]  # a str is checked and converted by Account
        county_id=county_id,
        phone=phone,
        branch_id=branch_id or None,
        town_id=town_id or None,
        enterprise_ids=tuple(enterprise_ids),
        terminal_mns=tuple(terminal_mns),
        password_hash=None if password is None else hash_password(password, hasher),
        created_at=now,
        updated_at=now,
    )
    return repo.put_account(account)


def update_account(
    repo: AccountsRepository, account_id: str, now: datetime, change: Callable[[Account], Account]
) -> Account:
    """Apply `change` to the current record and store it, re-reading and re-applying when another writer won."""
    now = require_utc(now, "now")
    for _ in range(_RETRIES):
        account = repo.get_account(account_id)
        changed = change(account)
        if changed == account:
            return account
        try:
            return repo.put_account(dataclasses.replace(changed, updated_at=now, version=account.version))
        except DuplicateError:
            raise  # a uniqueness clash: re-applying would not help
        except ConflictError:
            continue  # another writer won: re-read and re-apply
    raise ConflictError(f"account {account_id}: too much contention")


def authenticate(
    repo: AccountsRepository, login: str, password: str, now: datetime, *, hasher: PasswordHasher = DEFAULT_HASHER
) -> Account:
    """The account whose user name or phone is `login` and whose password is `password`.

    AuthError invalid_credentials (the same answer, after the same work, for an unknown login and a wrong
    password), account_locked (after 5 failures within 15 minutes, for 15 minutes, with retry_after_s) or
    account_disabled (only once the password is right). Success clears the failure count and upgrades the hash
    when the hasher's parameters changed."""
    now = require_utc(now, "now")
    login = login.strip() if isinstance(login, str) else ""
    account = repo.find_by_phone(login) if PHONE.fullmatch(login) else None
    account = account or (repo.find_by_username(login) if 0 < len(login) <= 64 else None)
    if account is None:
        verify_password(None, password, hasher)
        raise AuthError("invalid_credentials", INVALID_CREDENTIALS)
    if account.locked_until is not None and now < account.locked_until:
        raise _locked(account.locked_until, now)
    if not verify_password(account.password_hash, password, hasher):
        failed = update_account(repo, account.id, now, lambda a: _count_failure(a, now))
        if failed.locked_until is not None and now < failed.locked_until:
            raise _locked(failed.locked_until, now)
        raise AuthError("invalid_credentials", INVALID_CREDENTIALS)
    if account.disabled:
        raise AuthError("account_disabled", "账号已停用，请联系管理员")
    rehash = account.password_hash is not None and needs_rehash(account.password_hash, hasher)
    new_hash = hasher.hash(password) if rehash else None

    def succeed(a: Account) -> Account:
        cleared = dataclasses.replace(a, failed_logins=0, first_failed_at=None, locked_until=None)
        return dataclasses.replace(cleared, password_hash=new_hash) if new_hash else cleared

    return update_account(repo, account.id, now, succeed)


def _count_failure(account: Account, now: datetime) -> Account:
    if account.locked_until is not None and now < account.locked_until:
        return account  # a parallel attempt locked it already
    fresh = account.first_failed_at is None or now - account.first_failed_at >= FAILURE_WINDOW
    count = 1 if fresh else account.failed_logins + 1
    first = now if fresh else account.first_failed_at
    if count >= MAX_FAILURES:
        return dataclasses.replace(account, failed_logins=0, first_failed_at=None, locked_until=now + LOCK_FOR)
    return dataclasses.replace(account, failed_logins=count, first_failed_at=first, locked_until=None)


def _locked(until: datetime, now: datetime) -> AuthError:
    wait = max(1, math.ceil((until - now).total_seconds()))
    return AuthError("account_locked", f"登录失败次数过多，账号已锁定，请 {math.ceil(wait / 60)} 分钟后再试", wait)


def disable_account(repo: AccountsRepository, account_id: str, now: datetime) -> Account:
    """Disable the account and revoke every refresh-token family (access tokens die as the API re-reads it)."""
    account = update_account(repo, account_id, now, lambda a: dataclasses.replace(a, disabled=True))
    revoke_all(repo, account_id, now)
    return account


def enable_account(repo: AccountsRepository, account_id: str, now: datetime) -> Account:
    """Enable the account again and clear any lock."""
    return update_account(
        repo,
        account_id,
        now,
        lambda a: dataclasses.replace(a, disabled=False, failed_logins=0, first_failed_at=None, locked_until=None),
    )


def set_password(
    repo: AccountsRepository,
    account_id: str,
    password: str,
    now: datetime,
    *,
    hasher: PasswordHasher = DEFAULT_HASHER,
    revoke_sessions: bool = True,
) -> Account:
    """Set a new password (policy-checked), clear any lock and, by default, sign every session out."""
    new_hash = hash_password(password, hasher)
    account = update_account(
        repo,
        account_id,
        now,
        lambda a: dataclasses.replace(
            a, password_hash=new_hash, failed_logins=0, first_failed_at=None, locked_until=None
        ),
    )
    if revoke_sessions:
        revoke_all(repo, account_id, now)
    return account
