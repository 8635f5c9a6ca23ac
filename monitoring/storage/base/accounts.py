"""Accounts logic over a tiny versioned document store with atomic multi-document writes.

Adapters implement three primitives on documents identified by (kind, key): `_get_doc`, `_query_docs` (by the
kind's one index) and `_write` (several puts/deletes, each conditional on a version, all or none). Typed
records, optimistic concurrency and the uniqueness claims of user name, phone and openid live here.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from monitoring._time import require_utc
from monitoring.accounts.errors import DuplicateError
from monitoring.accounts.models import Account, Invitation, RefreshFamily, RefreshToken, Role, SmsCode
from monitoring.errors import ConflictError, NotFoundError
from monitoring.storage import codec

R = TypeVar("R")

# kind → the name of its one index (None: looked up by key only).
ACCOUNT_INDEXES: Mapping[str, str | None] = {
    "account": "county",
    "login": None,  # uniqueness claims: "username:<lower>", "phone:<n>", "openid:<id>" → {"account_id"}
    "family": "account",
    "refresh": "family",
    "invitation": "account",
    "sms": None,
}
_KEEP_AFTER_EXPIRY = timedelta(days=1)
_CLAIM_FIELDS = {"username": "用户名", "phone": "手机号", "openid": "微信账号"}


@dataclass(frozen=True)
class DocWrite:
    """One document write of an atomic group. body None deletes. expected_version None: unconditional; 0: must
    not exist; n: the stored version must be n. `index` is the value of the kind's index (None: not indexed)."""

    kind: str
    key: str
    body: dict[str, Any] | None
    expected_version: int | None
    index: str | None = None
    expires_at: datetime | None = None  # after this the document is useless: purged (sqlite, memory) or TTL'd


class DocConflict(ConflictError):
    """A condition of an atomic write failed; names the document so the caller can say which."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r}: version condition failed")
        self.kind = kind
        self.key = key


class AccountsRepositoryBase(ABC):
    """Implements `monitoring.accounts.ports.AccountsRepository` on top of the document primitives."""

    # ---- primitives ---------------------------------------------------------------------------------
    @abstractmethod
    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        """The stored body or None."""

    @abstractmethod
    def _query_docs(self, kind: str, value: str) -> list[dict[str, Any]]:
        """Every body of `kind` whose index value equals `value` (any order)."""

    @abstractmethod
    def _write(self, writes: Sequence[DocWrite]) -> None:
        """Apply every write or none; a failed condition raises DocConflict naming the first failing document."""

    @abstractmethod
    def _purge_expired(self, now: datetime) -> int:
        """Delete documents whose expires_at is before `now`; how many (DynamoDB: 0, its TTL does it)."""

    # ---- helpers ------------------------------------------------------------------------------------
    def _find(self, cls: type[R], kind: str, key: str) -> R | None:
        body = self._get_doc(kind, key)
        return None if body is None else codec.from_data(cls, body)

    def _put_versioned(
        self, kind: str, key: str, record: R, index: str | None, expires_at: datetime | None = None
    ) -> R:
        current: int = getattr(record, "version")  # noqa: B009 - every record here has it
        stored = dataclasses.replace(record, version=current + 1)  # type: ignore[type-var]
        self._write([DocWrite(kind, key, codec.to_data(stored), current, index, expires_at)])
        return stored

    def purge_expired(self, now: datetime) -> int:
        """Delete refresh tokens, invitations and SMS records past use (a day after expiry, so a late reuse of
        a refresh token still revokes its family within that day)."""
        return self._purge_expired(require_utc(now, "now"))

    # ---- accounts -----------------------------------------------------------------------------------
    def put_account(self, account: Account) -> Account:
        current = account.version
        old_claims: set[str] = set()
        if current:
            before = self._find(Account, "account", account.id)
            if before is None or before.version != current:
                raise ConflictError(f"account {account.id}: stored version differs from {current}")
            old_claims = _claims(before)
        new_claims = _claims(account)
        stored = dataclasses.replace(account, version=current + 1)
        writes = [DocWrite("account", account.id, codec.to_data(stored), current, account.county_id)]
        body = {"account_id": account.id, "version": 1}
        writes += [DocWrite("login", c, body, 0) for c in sorted(new_claims - old_claims)]
        writes += [DocWrite("login", c, None, 1) for c in sorted(old_claims - new_claims)]
        try:
            self._write(writes)
        except DocConflict as exc:
            if exc.kind == "login":
                what, _, value = exc.key.partition(":")
                raise DuplicateError(what, f"{_CLAIM_FIELDS[what]} {value} 已被其他账号使用") from None
            # the account itself moved on since it was read: a lost race, as for every other record
            raise ConflictError(f"account {account.id}: stored version differs from {current}") from exc
        return stored

    def get_account(self, account_id: str) -> Account:
        found = self.find_account(account_id)
        if found is None:
            raise NotFoundError(f"account {account_id!r} not found")
        return found

    def find_account(self, account_id: str) -> Account | None:
        return self._find(Account, "account", account_id)

    def _by_claim(self, claim: str) -> Account | None:
        body = self._get_doc("login", claim)
        if body is None:
            return None
        account = self.find_account(str(body["account_id"]))
        # A claim and its account are written together; re-check in case the account moved on since the read.
        return account if account is not None and claim in _claims(account) else None

    def find_by_username(self, username: str) -> Account | None:
        return self._by_claim(f"username:{username.lower()}")

    def find_by_phone(self, phone: str) -> Account | None:
        return self._by_claim(f"phone:{phone}") if phone else None

    def find_by_openid(self, openid: str) -> Account | None:
        return self._by_claim(f"openid:{openid}") if openid else None

    def list_accounts(self, county_id: str, role: Role | None = None) -> list[Account]:
        found = [codec.from_data(Account, b) for b in self._query_docs("account", county_id)]
        return sorted((a for a in found if role is None or a.role is role), key=lambda a: a.username.lower())

    # ---- refresh tokens -----------------------------------------------------------------------------
    def put_refresh_family(self, family: RefreshFamily) -> RefreshFamily:
        return self._put_versioned("family", family.family_id, family, family.account_id)

    def get_refresh_family(self, family_id: str) -> RefreshFamily | None:
        return self._find(RefreshFamily, "family", family_id)

    def families_of(self, account_id: str) -> list[RefreshFamily]:
        found = [codec.from_data(RefreshFamily, b) for b in self._query_docs("family", account_id)]
        return sorted(found, key=lambda f: (f.created_at, f.family_id))

    def put_refresh_token(self, token: RefreshToken) -> RefreshToken:
        keep = token.expires_at + _KEEP_AFTER_EXPIRY
        return self._put_versioned("refresh", token.token_hash, token, token.family_id, keep)

    def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        return self._find(RefreshToken, "refresh", token_hash)

    # ---- invitations and SMS codes ------------------------------------------------------------------
    def put_invitation(self, invitation: Invitation) -> Invitation:
        keep = invitation.expires_at + _KEEP_AFTER_EXPIRY
        return self._put_versioned("invitation", invitation.code_hash, invitation, invitation.account_id, keep)

    def get_invitation(self, code_hash: str) -> Invitation | None:
        return self._find(Invitation, "invitation", code_hash)

    def invitations_of(self, account_id: str) -> list[Invitation]:
        found = [codec.from_data(Invitation, b) for b in self._query_docs("invitation", account_id)]
        return sorted(found, key=lambda i: (i.created_at, i.code_hash))

    def put_sms_code(self, code: SmsCode) -> SmsCode:
        # the record also carries the day's send counter: kept until that China day is surely over
        return self._put_versioned("sms", code.phone, code, None, code.issued_at + timedelta(days=2))

    def get_sms_code(self, phone: str) -> SmsCode | None:
        return self._find(SmsCode, "sms", phone)


def _claims(account: Account) -> set[str]:
    claims = {f"username:{account.username.lower()}"}
    if account.phone:
        claims.add(f"phone:{account.phone}")
    if account.wechat_openid:
        claims.add(f"openid:{account.wechat_openid}")
    return claims
