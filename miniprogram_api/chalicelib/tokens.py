"""Access tokens: HS256 JWTs (PyJWT) with iss/aud/exp/iat/sub/role/channel and fid (the refresh family, so a
logout ends them at once); only HS256 is accepted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from miniprogram_api.chalicelib.errors import ApiError, unauthenticated
from miniprogram_api.chalicelib.settings import ApiSettings

ALGORITHM = "HS256"
CLOCK_LEEWAY_S = 30  # between API instances (Lambda containers); a token issued "in the future" beyond it is refused


@dataclass(frozen=True)
class AccessClaims:
    subject: str  # the account id
    role: str
    channel: str
    expires_at: int
    family_id: str  # the sign-in (refresh family) the token belongs to; revoked → the token is refused


def issue_access(
    *, account_id: str, role: str, channel: str, family_id: str, now: datetime, settings: ApiSettings
) -> tuple[str, int]:
    """(token, seconds it lives)."""
    issued = int(now.timestamp())
    claims = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": account_id,
        "role": role,
        "channel": channel,
        "fid": family_id,
        "iat": issued,
        "exp": issued + settings.access_ttl_s,
    }
    return jwt.encode(claims, settings.token_key.get_secret_value(), algorithm=ALGORITHM), settings.access_ttl_s


def read_access(token: str, now: datetime, settings: ApiSettings) -> AccessClaims:
    """The claims of a token this API signed and that is still valid at `now`; 401 otherwise.

    Expiry is checked against the API's clock (`now`), not PyJWT's own, so every check uses one time source."""
    try:
        claims = jwt.decode(
            token,
            settings.token_key.get_secret_value(),
            algorithms=[ALGORITHM],  # pinned: "none" and every other algorithm are refused
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            options={"require": ["iss", "aud", "sub", "iat", "exp", "fid"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise _invalid() from None
    exp, iat = claims.get("exp"), claims.get("iat")
    sub, role, channel, fid = claims.get("sub"), claims.get("role"), claims.get("channel"), claims.get("fid")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (exp, iat)):
        raise _invalid()
    if not (isinstance(sub, str) and sub and isinstance(role, str) and channel in ("web", "miniprogram")):
        raise _invalid()
    if not (isinstance(fid, str) and 0 < len(fid) <= 64):
        raise _invalid()
    assert isinstance(exp, int) and isinstance(iat, int)
    stamp = now.timestamp()
    if exp <= stamp:
        raise unauthenticated("登录已过期，请刷新或重新登录", "token_expired")
    if iat > stamp + CLOCK_LEEWAY_S or exp - iat > settings.access_ttl_s + CLOCK_LEEWAY_S:
        raise _invalid()
    return AccessClaims(subject=sub, role=role, channel=str(channel), expires_at=exp, family_id=fid)


def expiry(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)


def _invalid() -> ApiError:
    return unauthenticated("登录凭证无效，请重新登录", "token_invalid")


def issue_binding_ticket(openid: str, now: datetime, settings: ApiSettings) -> tuple[str, datetime]:
    """A short-lived ticket naming an openid not yet bound to an account (its audience differs from access tokens',
    so one can never stand in for the other)."""
    issued = int(now.timestamp())
    claims = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience + ":wechat-binding",
        "sub": openid,
        "iat": issued,
        "exp": issued + settings.binding_ticket_ttl_s,
    }
    token = jwt.encode(claims, settings.token_key.get_secret_value(), algorithm=ALGORITHM)
    return token, expiry(now, settings.binding_ticket_ttl_s)


def read_binding_ticket(ticket: str, now: datetime, settings: ApiSettings) -> str:
    """The openid of a valid ticket; 401 `binding_ticket_invalid` otherwise (expired included)."""
    refused = unauthenticated("微信绑定已超时，请重新进入小程序", "binding_ticket_invalid")
    try:
        claims = jwt.decode(
            ticket,
            settings.token_key.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.token_audience + ":wechat-binding",
            issuer=settings.token_issuer,
            options={"require": ["iss", "aud", "sub", "iat", "exp"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise refused from None
    exp, sub = claims.get("exp"), claims.get("sub")
    if not isinstance(exp, int) or exp <= now.timestamp() or not isinstance(sub, str) or not sub:
        raise refused
    return sub
