"""Binding a WeChat openid to an account: by a one-time invitation code, by phone + SMS code, or directly.
Codes are stored as SHA-256 only. Sending the SMS is the caller's (a sender port in the API)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from monitoring._time import CHINA, china_day, require_utc
from monitoring.accounts.errors import AccountInputError, AuthError, DuplicateError
from monitoring.accounts.models import PHONE, Account, Invitation, SmsCode
from monitoring.accounts.ports import AccountsRepository
from monitoring.accounts.service import update_account
from monitoring.errors import ConflictError

# No 0/O, 1/I/L: read aloud or copied from paper without doubt.
INVITATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITATION_LENGTH = 10
INVITATION_TTL = timedelta(hours=72)
SMS_TTL = timedelta(minutes=5)
SMS_MIN_INTERVAL = timedelta(seconds=60)
SMS_PER_DAY = 10
SMS_MAX_TRIES = 5
_MAX_OPENID = 128
_RETRIES = 8

_INVITATION_INVALID = "邀请码无效、已使用或已过期，请联系管理员重新获取"
_SMS_INVALID = "验证码错误或已失效，请重新获取"
_OPENID_TAKEN = "该微信已绑定其他账号"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_invitation(code: str) -> str:
    """Upper case without spaces or dashes (as typed from paper)."""
    return "".join(ch for ch in code.upper() if ch not in " -") if isinstance(code, str) else ""


def create_invitation(repo: AccountsRepository, account_id: str, now: datetime, ttl: timedelta = INVITATION_TTL) -> str:
    """A new one-time code for the account, valid until now + ttl; earlier unused codes of the account are
    voided. NotFoundError for an unknown account, AuthError account_disabled for a disabled one."""
    now = require_utc(now, "now")
    if not timedelta(minutes=1) <= ttl <= timedelta(days=30):
        raise AccountInputError("ttl", "邀请码有效期须在 1 分钟到 30 天之间")
    account = repo.get_account(account_id)
    if account.disabled:
        raise AuthError("account_disabled", "账号已停用，请先启用")
    for old in repo.invitations_of(account_id):
        if old.used_at is None and old.expires_at > now:
            _void(repo, old, now)
    code = "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_LENGTH))
    repo.put_invitation(Invitation(_sha(code), account_id, now, now + ttl))
    return code


def _void(repo: AccountsRepository, invitation: Invitation, now: datetime) -> None:
    with contextlib.suppress(ConflictError):  # redeemed or voided meanwhile: either way no longer open
        repo.put_invitation(dataclasses.replace(invitation, expires_at=now))


def redeem_invitation(repo: AccountsRepository, code: str, openid: str, now: datetime) -> Account:
    """Bind `openid` to the invitation's account and use the code up. AuthError invitation_invalid (unknown,
    used, expired), account_disabled, or openid_taken (the openid belongs to another account; the code stays
    usable)."""
    now = require_utc(now, "now")
    openid = _check_openid(openid)
    plain = normalise_invitation(code)
    if len(plain) != INVITATION_LENGTH:
        raise AuthError("invitation_invalid", _INVITATION_INVALID)
    invitation = repo.get_invitation(_sha(plain))
    if invitation is None or invitation.used_at is not None or now >= invitation.expires_at:
        raise AuthError("invitation_invalid", _INVITATION_INVALID)
    account = repo.get_account(invitation.account_id)
    if account.disabled:
        raise AuthError("account_disabled", "账号已停用，请联系管理员")
    _refuse_foreign_openid(repo, account.id, openid)
    try:  # one redeemer wins the code; only then is the openid bound
        used = repo.put_invitation(dataclasses.replace(invitation, used_at=now))
    except ConflictError:
        raise AuthError("invitation_invalid", _INVITATION_INVALID) from None
    try:
        return bind_openid(repo, account.id, openid, now)
    except AuthError:
        with contextlib.suppress(ConflictError):  # give the code back: nothing was bound
            repo.put_invitation(dataclasses.replace(used, used_at=None))
        raise


def issue_sms_code(repo: AccountsRepository, phone: str, now: datetime) -> str:
    """A new 6-digit login code for `phone` (valid 5 minutes; it replaces the previous one). AuthError
    sms_rate_limited (with retry_after_s) beyond one per 60 s or 10 per China day, phone_not_registered when
    no enabled account has this phone. The caller sends it."""
    now = require_utc(now, "now")
    phone = _check_phone(phone)
    for _ in range(_RETRIES):
        current = repo.get_sms_code(phone)
        day = china_day(now).isoformat()
        sent_today = current.sent_today if current is not None and current.day == day else 0
        if current is not None and now - current.issued_at < SMS_MIN_INTERVAL:
            wait = math.ceil((current.issued_at + SMS_MIN_INTERVAL - now).total_seconds())
            raise AuthError("sms_rate_limited", f"验证码发送过于频繁，请 {wait} 秒后再试", max(1, wait))
        if sent_today >= SMS_PER_DAY:
            raise AuthError("sms_rate_limited", "今日验证码发送次数已达上限，请明天再试", _until_tomorrow(now))
        account = repo.find_by_phone(phone)
        if account is None or account.disabled:
            raise AuthError("phone_not_registered", "该手机号未登记或账号已停用，请联系管理员")
        code = f"{secrets.randbelow(1_000_000):06d}"
        record = SmsCode(phone, _sha(f"{phone}:{code}"), now, now + SMS_TTL, 0, day, sent_today + 1)
        try:
            repo.put_sms_code(dataclasses.replace(record, version=current.version if current else 0))
            return code
        except ConflictError:
            continue  # another request issued one in between: re-check the limits against it
    raise AuthError("sms_rate_limited", "验证码发送过于频繁，请稍后再试", int(SMS_MIN_INTERVAL.total_seconds()))


def verify_sms_code(repo: AccountsRepository, phone: str, code: str, openid: str | None, now: datetime) -> Account:
    """The account of `phone` if `code` is its current code; binds `openid` when given. The code works once;
    5 wrong tries void it. AuthError sms_code_invalid, account_disabled or openid_taken."""
    now = require_utc(now, "now")
    phone = _check_phone(phone)
    openid = None if openid is None else _check_openid(openid)
    for _ in range(_RETRIES):
        record = repo.get_sms_code(phone)
        if record is None or record.used or now >= record.expires_at or record.failed_attempts >= SMS_MAX_TRIES:
            raise AuthError("sms_code_invalid", _SMS_INVALID)
        given = code if isinstance(code, str) and len(code) <= 16 else ""
        if not hmac.compare_digest(_sha(f"{phone}:{given.strip()}"), record.code_hash):
            try:
                repo.put_sms_code(dataclasses.replace(record, failed_attempts=record.failed_attempts + 1))
            except ConflictError:
                continue  # count this try against the fresh record
            raise AuthError("sms_code_invalid", _SMS_INVALID)
        account = repo.find_by_phone(phone)
        if account is None or account.disabled:
            raise AuthError("account_disabled", "账号已停用，请联系管理员")
        if openid is not None:
            _refuse_foreign_openid(repo, account.id, openid)
        try:
            repo.put_sms_code(dataclasses.replace(record, used=True))
        except ConflictError:
            continue  # used or counted by a parallel request: decide again on the fresh record
        return account if openid is None else bind_openid(repo, account.id, openid, now)
    raise AuthError("sms_code_invalid", _SMS_INVALID)


def bind_openid(repo: AccountsRepository, account_id: str, openid: str, now: datetime) -> Account:
    """Bind `openid` to the account (replacing a previous one). AuthError openid_taken when another account
    holds it."""
    openid = _check_openid(openid)
    try:
        return update_account(repo, account_id, now, lambda a: dataclasses.replace(a, wechat_openid=openid))
    except DuplicateError:
        raise AuthError("openid_taken", _OPENID_TAKEN) from None


def unbind_openid(repo: AccountsRepository, account_id: str, now: datetime) -> Account:
    """Remove the account's WeChat binding (the person binds again with a new invitation or SMS code)."""
    return update_account(repo, account_id, now, lambda a: dataclasses.replace(a, wechat_openid=None))


def _refuse_foreign_openid(repo: AccountsRepository, account_id: str, openid: str) -> None:
    holder = repo.find_by_openid(openid)
    if holder is not None and holder.id != account_id:
        raise AuthError("openid_taken", _OPENID_TAKEN)


def _check_phone(phone: str) -> str:
    if not isinstance(phone, str) or not PHONE.fullmatch(phone.strip()):
        raise AccountInputError("phone", "手机号须为以 1 开头的 11 位数字")
    return phone.strip()


def _check_openid(openid: str) -> str:
    if not isinstance(openid, str) or not openid or len(openid) > _MAX_OPENID or not openid.isprintable():
        raise AccountInputError("openid", "微信 openid 无效")
    return openid


def _until_tomorrow(now: datetime) -> int:
    local = now.astimezone(CHINA)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=CHINA)
    return max(1, math.ceil((midnight - local).total_seconds()))
