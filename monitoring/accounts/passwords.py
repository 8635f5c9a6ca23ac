"""Password hashes (argon2id through argon2-cffi) and the password policy, with Chinese messages."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from monitoring.accounts.errors import AccountInputError

# argon2-cffi's defaults: argon2id, RFC 9106 low-memory profile (64 MiB, 3 passes); tests pass a cheaper one.
DEFAULT_HASHER = PasswordHasher()
MIN_LENGTH = 8
MAX_LENGTH = 128  # hashing cost is bounded; a megabyte "password" is an attack, not a password


def check_policy(password: str) -> None:
    """AccountInputError (field "password") unless the password is 8–128 characters and not all digits."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise AccountInputError("password", f"密码至少 {MIN_LENGTH} 位", "weak_password")
    if len(password) > MAX_LENGTH:
        raise AccountInputError("password", f"密码不能超过 {MAX_LENGTH} 位", "weak_password")
    if password.isdigit():
        raise AccountInputError("password", "密码不能全为数字", "weak_password")
    if password.strip() != password or not password.isprintable():
        raise AccountInputError("password", "密码不能以空格开头或结尾，也不能含控制字符", "weak_password")


def hash_password(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """The policy-checked password's argon2id hash."""
    check_policy(password)
    return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """Whether `password` matches; with no stored hash, a dummy one is checked so the time taken is alike."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        password = ""
    try:
        ok = hasher.verify(stored_hash or _dummy_hash(hasher), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and stored_hash is not None


def needs_rehash(stored_hash: str, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """True when the hash was made with other parameters than `hasher`'s (rehash on the next good sign-in)."""
    try:
        return hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("dummy password for unknown accounts")
