"""Stable identifiers derived from natural keys, so that importing the same sheet twice touches the same records."""

from __future__ import annotations

import hashlib
import re

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")


def _short(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def town_id(county_id: str, name: str) -> str:
    return f"{county_id}-town-{_short(name.strip())}"


def branch_id(county_id: str, name: str) -> str:
    """执法一局 → <county>-branch-1; other names get a hash suffix."""
    m = re.fullmatch(r"执法([一二三四五六七八九十])局", name.strip())
    if m:
        return f"{county_id}-branch-{_CN_DIGITS[m.group(1)]}"
    return f"{county_id}-branch-{_short(name.strip())}"


def enterprise_id(county_id: str, name: str) -> str:
    """Keyed on the registered name within a county (the only key the bureau's list has)."""
    return f"{county_id}-ent-{_short(name.strip())}"


def facility_id(enterprise: str, code: str) -> str:
    return f"{enterprise}-{code}"


def point_id(county_id: str, point_code: str) -> str:
    """The provincial point code itself when it is a safe identifier, else a hash of it."""
    code = point_code.strip()
    return code if _SAFE.match(code) else f"{county_id}-pt-{_short(code)}"


def association_id(enterprise: str, name: str) -> str:
    return f"{enterprise}-line-{_short(name.strip())}"
