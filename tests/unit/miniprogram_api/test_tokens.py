"""Access tokens and WeChat binding tickets: each accepted only as itself, only before it expires, only signed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from miniprogram_api.chalicelib.errors import ApiError
from miniprogram_api.chalicelib.settings import ApiSettings
from miniprogram_api.chalicelib.tokens import issue_access, issue_binding_ticket, read_access, read_binding_ticket

SETTINGS = ApiSettings(token_key="k" * 40)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _code(call: object) -> str:
    with pytest.raises(ApiError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.status == 401
    return caught.value.code


@pytest.mark.unit
def test_access_token_round_trip_and_expiry_on_the_api_clock() -> None:
    token, ttl = issue_access(
        account_id="a1", role="branch", channel="miniprogram", family_id="f1", now=NOW, settings=SETTINGS
    )
    claims = read_access(token, NOW + timedelta(seconds=ttl - 1), SETTINGS)
    assert (claims.subject, claims.role, claims.channel, claims.family_id, ttl) == (
        "a1",
        "branch",
        "miniprogram",
        "f1",
        900,
    )
    assert _code(lambda: read_access(token, NOW + timedelta(seconds=ttl), SETTINGS)) == "token_expired"
    assert _code(lambda: read_access(token, NOW - timedelta(minutes=5), SETTINGS)) == "token_invalid"  # from the future


@pytest.mark.unit
def test_a_ticket_is_not_a_token_and_a_token_is_not_a_ticket() -> None:
    token, _ = issue_access(account_id="a1", role="admin", channel="web", family_id="f1", now=NOW, settings=SETTINGS)
    ticket, expires = issue_binding_ticket("o-123", NOW, SETTINGS)
    assert read_binding_ticket(ticket, NOW, SETTINGS) == "o-123" and expires == NOW + timedelta(minutes=10)
    assert _code(lambda: read_access(ticket, NOW, SETTINGS)) == "token_invalid"
    assert _code(lambda: read_binding_ticket(token, NOW, SETTINGS)) == "binding_ticket_invalid"
    assert _code(lambda: read_binding_ticket(ticket, expires, SETTINGS)) == "binding_ticket_invalid"


@pytest.mark.unit
def test_a_token_with_a_long_life_or_a_bad_channel_is_refused_even_when_signed() -> None:
    base = {"iss": "gongkuang", "aud": "gongkuang-api", "sub": "a1", "role": "admin", "fid": "f1",
            "iat": int(NOW.timestamp())}  # fmt: skip
    key = SETTINGS.token_key.get_secret_value()
    long_lived = jwt.encode(base | {"channel": "web", "exp": int(NOW.timestamp()) + 86_400}, key, algorithm="HS256")
    odd_channel = jwt.encode(base | {"channel": "sms", "exp": int(NOW.timestamp()) + 60}, key, algorithm="HS256")
    assert _code(lambda: read_access(long_lived, NOW, SETTINGS)) == "token_invalid"
    assert _code(lambda: read_access(odd_channel, NOW, SETTINGS)) == "token_invalid"
    no_family = jwt.encode(
        {k: v for k, v in base.items() if k != "fid"} | {"channel": "web", "exp": int(NOW.timestamp()) + 60},
        key,
        algorithm="HS256",
    )
    assert _code(lambda: read_access(no_family, NOW, SETTINGS)) == "token_invalid"


@pytest.mark.unit
def test_a_short_key_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        ApiSettings(token_key="short")
