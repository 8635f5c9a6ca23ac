"""Terminal passwords are stored salted and hashed, verified in constant time, and never shown."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from monitoring.errors import InvalidInputError
from monitoring.registry.terminal import GpsFix, Terminal, hash_password, new_terminal, verify_password
from tests.contract.storage import builders as b

pytestmark = pytest.mark.unit


def test_hash_password_salts_each_hash() -> None:
    assert hash_password("123456", n=16) != hash_password("123456", n=16)


def test_verify_password_accepts_right_and_rejects_wrong_or_missing() -> None:
    t = b.terminal()
    assert verify_password(t, b.PASSWORD)
    for wrong in ("1234567", "", None, "x" * 65):
        assert not verify_password(t, wrong)


def test_verify_password_with_corrupt_hash_is_false_not_an_exception() -> None:
    t = dataclasses.replace(b.terminal(), password_hash="scrypt$16$8$1$zz$zz")
    assert not verify_password(t, b.PASSWORD)


def test_terminal_repr_never_shows_the_password_or_its_hash() -> None:
    t = new_terminal("MN0001", "rugao", "s3cret-pw")
    assert "s3cret" not in repr(t) and "scrypt" not in repr(t) and t.password_hash not in str(t)
    assert verify_password(t.with_password("other"), "other")


def test_terminal_rejects_a_plain_text_password_in_the_hash_field() -> None:
    with pytest.raises(InvalidInputError):
        Terminal(mn="MN0001", county_id="rugao", password_hash="123456")


def test_hash_password_rejects_empty_or_oversized() -> None:
    for bad in ("", "x" * 65):
        with pytest.raises(InvalidInputError):
            hash_password(bad)


def test_gps_fix_is_range_checked_and_needs_aware_time() -> None:
    with pytest.raises(InvalidInputError):
        GpsFix(91.0, 120.0, datetime(2026, 1, 1).astimezone())
    with pytest.raises(InvalidInputError):
        GpsFix(32.0, 120.0, datetime(2026, 1, 1))


def test_terminal_intervals_are_bounded() -> None:
    with pytest.raises(InvalidInputError):
        b.terminal(realtime_interval_s=0)
    with pytest.raises(InvalidInputError):
        b.terminal(minute_interval_min=1441)
