"""Terminals (数采仪/终端, keyed by MN): configuration, runtime state, and the salted password hash.

The HJ 212 password (PW) is stored only as a scrypt hash ("scrypt$n$r$p$salt$hash", all hex) and is excluded
from repr. `verify_password` costs a few milliseconds by design: callers verify once per TCP session and cache
the answer for that session, never per frame.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError
from monitoring.registry.models import check_id, check_mn, check_text

# RFC 7914 parameters; n=2**14, r=8 needs 16 MiB and ~20–60 ms on a small core.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_MAX_PASSWORD = 64


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """Salt and hash an HJ 212 terminal password for storage."""
    if not isinstance(password, str) or not password or len(password) > _MAX_PASSWORD:
        raise InvalidInputError(f"终端密码长度必须在 1–{_MAX_PASSWORD} 之间")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def _verify_hash(stored: str, candidate: str) -> bool:
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
        attempt = hashlib.scrypt(
            candidate.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), maxmem=64 * 1024 * 1024, dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(attempt, digest)


@dataclass(frozen=True, slots=True)
class GpsFix:
    """A position reported by the terminal (WGS-84 degrees) and when."""

    lat: float
    lon: float
    at: datetime

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise InvalidInputError(f"GPS 坐标超出范围: {self.lat}, {self.lon}")
        object.__setattr__(self, "at", require_utc(self.at, "gps.at"))


@dataclass(frozen=True, slots=True)
class Terminal:
    """A terminal: configuration set by installers plus state the platform observes (last frame, online, skew)."""

    mn: str
    county_id: str
    password_hash: str = field(repr=False)
    profile: str = "default"  # protocol profile name (data/profiles/<name>.*)
    enterprise_id: str | None = None
    model: str = ""
    firmware: str = ""
    modbus_crc: bool = False  # the terminal frames with MODBUS CRC-16 instead of HJ 212's (a known deviation)
    realtime_interval_s: int | None = None
    minute_interval_min: int | None = None
    # observed state (written by decode/ingest; never moved backwards in time)
    online: bool = False
    last_frame_at: datetime | None = None
    last_peer: str = ""
    clock_skew_s: float | None = None  # terminal clock minus platform clock, seconds
    gps: GpsFix | None = None
    # A new password sent to the terminal (CN 1072) and not confirmed yet: both are accepted meanwhile, since the
    # terminal may answer with either (docs/api.md, "Commands").
    next_password_hash: str | None = field(default=None, repr=False)
    version: int = 0

    def __post_init__(self) -> None:
        check_mn(self.mn)
        check_id(self.county_id, "county_id")
        if self.enterprise_id is not None:
            check_id(self.enterprise_id, "enterprise_id")
        for stored in (self.password_hash, self.next_password_hash or "scrypt$"):
            if not stored.startswith("scrypt$"):
                raise InvalidInputError("password_hash must come from hash_password()")
        check_text(self.profile, "profile", max_len=64)
        if self.realtime_interval_s is not None and not (1 <= self.realtime_interval_s <= 86_400):
            raise InvalidInputError(f"实时数据间隔超出范围: {self.realtime_interval_s}")
        if self.minute_interval_min is not None and not (1 <= self.minute_interval_min <= 1_440):
            raise InvalidInputError(f"分钟数据间隔超出范围: {self.minute_interval_min}")
        if self.last_frame_at is not None:
            object.__setattr__(self, "last_frame_at", require_utc(self.last_frame_at, "last_frame_at"))

    def with_password(self, password: str) -> Terminal:
        """A copy with a new password (hashed here; the plain text goes nowhere else)."""
        return replace(self, password_hash=hash_password(password))


def new_terminal(mn: str, county_id: str, password: str, **fields: object) -> Terminal:
    """Create a terminal record, hashing `password`."""
    return Terminal(mn=mn, county_id=county_id, password_hash=hash_password(password), **fields)  # type: ignore[arg-type]


def verify_password(terminal: Terminal, candidate: str | None) -> bool:
    """True when `candidate` (the frame's PW) matches the stored hash, or the new one of a password change
    in flight; constant-time compare."""
    if not candidate or len(candidate) > _MAX_PASSWORD:
        return False
    if _verify_hash(terminal.password_hash, candidate):
        return True
    return terminal.next_password_hash is not None and _verify_hash(terminal.next_password_hash, candidate)
