"""Addresses as logs may show them: phone numbers masked (138****1234), openids and robot names cut short."""

from __future__ import annotations

import re

_PHONE = re.compile(r"(\+?\d{3})\d+(\d{4})")


def mask(address: str) -> str:
    if _PHONE.fullmatch(address):
        return _PHONE.sub(r"\1****\2", address)
    return address[:4] + "…" if len(address) > 4 else "…"


def mask_phones(text: str) -> str:
    """Every mainland mobile number inside free text masked (provider error messages may echo them)."""
    return re.sub(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)", r"\1****\2", text)
