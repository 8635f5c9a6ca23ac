"""Rotating refresh tokens in families: each use swaps the token for a new one of the same family; a token
presented twice means it leaked, so the whole family is revoked. Only a token's SHA-256 is stored."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from monitoring._time import require_utc
from monitoring.accounts.errors import AuthError
from monitoring.accounts.models import Account, RefreshFamily, RefreshToken, check_channel
from monitoring.accounts.ports import AccountsRepository
from monitoring.errors import ConflictError

REFRESH_TTL = timedelta(days=30)
_MAX_TOKEN_CHARS = 128
_RETRIES = 8

_INVALID = "登录已过期，请重新登录"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_refresh(repo: AccountsRepository, account_id: str, now: datetime, channel: str) -> str:
    """Start a new family (a sign-in on `channel`: web or miniprogram) and return its first token: 256 random
    bits, URL-safe text. NotFoundError if the account does not exist."""
    now = require_utc(now, "now")
    check_channel(channel)
    repo.get_account(account_id)
    family = repo.put_refresh_family(RefreshFamily(uuid.uuid4().hex, account_id, channel, now))
    return _new_token(repo, family, now)


def _new_token(repo: AccountsRepository, family: RefreshFamily, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    record = RefreshToken(
        token_hash(token), family.family_id, family.account_id, family.channel, now, now + REFRESH_TTL
    )
    repo.put_refresh_token(record)
    return token


def rotate_refresh(repo: AccountsRepository, token: str, now: datetime) -> tuple[Account, str]:
    """Swap `token` for a new one of its family; returns the account (as stored now) and the new token.

    AuthError refresh_invalid (unknown, expired, or its family revoked), refresh_reused (already swapped: the
    family is revoked, every token of it dead) or account_disabled."""
    now = require_utc(now, "now")
    record = _lookup(repo, token)
    if record is None or now >= record.expires_at:
        raise AuthError("refresh_invalid", _INVALID)
    family = repo.get_refresh_family(record.family_id)
    if family is None or family.revoked_at is not None:
        raise AuthError("refresh_invalid", _INVALID)
    if record.used_at is not None:
        _revoke(repo, family.family_id, now)
        raise AuthError("refresh_reused", "登录凭证已被使用，为安全起见已退出该设备上的登录，请重新登录")
    account = repo.find_account(record.account_id)
    if account is None or account.disabled:
        _revoke(repo, family.family_id, now)
        raise AuthError("account_disabled", "账号已停用，请联系管理员")
    try:
        repo.put_refresh_token(dataclasses.replace(record, used_at=now))
    except ConflictError:
        # Another request swapped the same token in between: the same token used twice.
        _revoke(repo, family.family_id, now)
        raise AuthError("refresh_reused", "登录凭证已被使用，为安全起见已退出该设备上的登录，请重新登录") from None
    return account, _new_token(repo, family, now)


def revoke_family_of(repo: AccountsRepository, token: str, now: datetime) -> bool:
    """Sign out: revoke the family of `token`. False when the token is unknown (nothing to revoke)."""
    now = require_utc(now, "now")
    record = _lookup(repo, token)
    if record is None:
        return False
    _revoke(repo, record.family_id, now)
    return True


def revoke_all(repo: AccountsRepository, account_id: str, now: datetime) -> int:
    """Revoke every live family of the account (disable, password change); returns how many were live."""
    now = require_utc(now, "now")
    live = [f for f in repo.families_of(account_id) if f.revoked_at is None]
    for family in live:
        _revoke(repo, family.family_id, now)
    return len(live)


def _lookup(repo: AccountsRepository, token: str) -> RefreshToken | None:
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    return repo.get_refresh_token(token_hash(token))


def _revoke(repo: AccountsRepository, family_id: str, now: datetime) -> None:
    for _ in range(_RETRIES):
        family = repo.get_refresh_family(family_id)
        if family is None or family.revoked_at is not None:
            return
        try:
            repo.put_refresh_family(dataclasses.replace(family, revoked_at=now))
            return
        except ConflictError:
            continue
    raise ConflictError(f"refresh family {family_id}: too much contention")
