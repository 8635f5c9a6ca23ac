"""The factor-code profile (data/profiles/simulator_default.json) and how records become CP text.

A record is one upload (real-time, minute, hour, day, status, event): a DataTime plus items such as
`Ua01-Rtd=230.1,Ua01-Flag=N`. Records longer than the standard's data-segment limit are split into
PNUM/PNO packets (HJ 212-2017 §6.3, 表C.49/C.50), each repeating DataTime and each acknowledged on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PROFILE = Path(__file__).resolve().parent.parent / "data" / "profiles" / "simulator_default.json"
# The standard caps the data segment at 1024 characters; the header (QN…PNO) takes about 110 of them.
CP_LIMIT = 900


class ProfileError(ValueError):
    """The profile file is missing or malformed."""


@dataclass(frozen=True)
class Quantity:
    code: str  # base code, the channel suffix is appended: Ua → Ua01
    kind: str  # instant | counter | demand
    decimals: int


@dataclass(frozen=True)
class Profile:
    name: str
    quantities: tuple[Quantity, ...]
    fields: dict[str, dict[str, tuple[str, ...]]]  # upload kind → quantity kind → fields

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(q.code for q in self.quantities)


def load_profile(path: Path | str = DEFAULT_PROFILE) -> Profile:
    """Read and validate a profile file."""
    try:
        doc: Any = json.loads(Path(path).read_text(encoding="utf-8"))
        quantities = tuple(Quantity(q["code"], q["kind"], int(q["decimals"])) for q in doc["quantities"])
        fields = {
            kind: {qk: tuple(fs) for qk, fs in spec["fields"].items()}
            for kind, spec in doc["uploads"].items()
            if "fields" in spec
        }
        name = str(doc["name"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProfileError(f"{path}: not a usable profile: {exc}") from exc
    for q in quantities:
        if not q.code.isalpha() or q.kind not in ("instant", "counter", "demand") or not 0 <= q.decimals <= 6:
            raise ProfileError(f"{path}: bad quantity {q}")
    allowed = {"instant": {"Min", "Avg", "Max", "Flag"}, "counter": {"Cou", "Max", "Flag"}, "demand": {"Max", "Flag"}}
    for kind in ("realtime", "minute", "hour", "day"):
        if kind not in fields or set(fields[kind]) != {"instant", "counter", "demand"}:
            raise ProfileError(f"{path}: uploads.{kind}.fields must list fields for instant, counter and demand")
        for qkind, names in fields[kind].items():
            ok = {"Rtd", "Flag"} if kind == "realtime" else allowed[qkind]
            if not names or set(names) - ok:
                raise ProfileError(f"{path}: uploads.{kind}.fields.{qkind} may only use {sorted(ok)}")
    return Profile(name, quantities, fields)


def fmt(value: float, decimals: int) -> str:
    """Fixed-point text without a negative zero."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def channel_code(code: str, channel: int) -> str:
    return f"{code}{channel:02d}"


def pack(head: str, items: list[str], limit: int = CP_LIMIT) -> list[str]:
    """Greedily pack items into CP texts of at most `limit` characters, each starting with `head`.

    `head` is e.g. "DataTime=20261128083000"; an item too long on its own still gets a packet of its own.
    """
    packets: list[str] = []
    parts = [head]
    size = len(head)  # len(";".join(parts)): the text the reference loop would hold
    for item in items:
        if size + 1 + len(item) > limit and len(parts) > 1:
            packets.append(";".join(parts))
            parts, size = [head], len(head)
        parts.append(item)
        size += 1 + len(item)
    packets.append(";".join(parts))
    return packets
