"""The values hj212 hands out: Version, CP (the data area), Frame and DecodeError (HJ 212-2017 §6.3).

Frozen, slotted dataclasses in the style of h11's events. Values stay strings: the domain converts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from enum import StrEnum
from typing import Any

__all__ = ["CP", "CPGroup", "DecodeError", "Frame", "Version", "checked_frame"]


class Version(StrEnum):
    """Protocol version, from Flag >> 2 (HJ 212-2017 §6.3.2 表3: V5..V0)."""

    V2005 = "2005"
    V2017 = "2017"
    V2025 = "2025"

    @property
    def flag_bits(self) -> int:
        """The version bits as they sit in Flag (V << 2)."""
        return _FLAG_BITS[self]


_FLAG_BITS = {Version.V2005: 0, Version.V2017: 4, Version.V2025: 8}


@dataclass(frozen=True, slots=True)
class CPGroup:
    """One group of a data area whose heading field repeats (§6.3.3), e.g. one instrument of a CN=3020 upload
    `PolId=w01019,i12001-Info=1,i12002-Info=0`: `scalars` starts with the heading ({"PolId": "w01019"}),
    `items` as in CP."""

    scalars: Mapping[str, str]
    items: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The heading field's name ("PolId")."""
        return next(iter(self.scalars))

    @property
    def value(self) -> str:
        """The heading field's value ("w01019")."""
        return self.scalars[self.name]

    def to_dict(self) -> dict[str, object]:
        """Scalars (heading first) and per-code objects in one JSON-ready dict."""
        out: dict[str, object] = dict(self.scalars)
        for code, fields in self.items.items():
            out[code] = dict(fields)
        return out


@dataclass(frozen=True, slots=True)
class CP:
    """The data area `CP=&&...&&`: scalar fields and per-code fields, values as given (strings).

    `items` maps a code to its fields: `w01018-Rtd=2.2,w01018-Flag=N` -> {"w01018": {"Rtd": "2.2", "Flag": "N"}}.
    Info values (`i11001-Info=//text//`) are stored without the slashes.

    `groups`: when a scalar name repeats (a logger reporting several instruments in one CN=3020,
    `PolId=w01019,i12001-Info=1;PolId=w21001,i12001-Info=1;…`), each occurrence of the first repeated name
    starts a group holding everything up to the next one, in order; `scalars` and `items` then hold only what
    precedes the first group. Without a repeated scalar name, `groups` is empty.
    """

    scalars: Mapping[str, str] = field(default_factory=dict)
    items: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    groups: tuple[CPGroup, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Scalars and per-code objects in one JSON-ready dict (the CLI's `cp`); groups as a list under their
        heading's name (`{"PolId": [{"PolId": "w01019", "i12001": {"Info": "1"}}, …]}`)."""
        out: dict[str, object] = dict(self.scalars)
        for code, fields in self.items.items():
            out[code] = dict(fields)
        if self.groups:
            out[self.groups[0].name] = [group.to_dict() for group in self.groups]
        return out


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame. `raw` is exactly the bytes consumed for it, terminator included when seen."""

    raw: bytes
    segment: str
    version: Version
    qn: str | None
    st: str | None
    cn: str | None
    pw: str | None
    mn: str | None
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: CP
    header: Mapping[str, str]
    crc: str
    ack_requested: bool
    quirks: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class DecodeError:
    """Something in the stream that is not a good frame. `reason` is a stable code (errors.REASONS).

    `data` holds the offending bytes (at most a bounded head of them for long garbage runs). `crc_variant`
    is "modbus" when a CRC mismatch is explained by CRC-16/MODBUS: the terminal uses the wrong algorithm and
    may be switched to `accept_modbus_crc`.
    """

    reason: str
    data: bytes
    detail: str = ""
    crc_variant: str | None = None


# ---- the fast path's constructors ------------------------------------------------------------------------
# A frozen dataclass's __init__ stores each field through object.__setattr__, a call per field: too slow for
# the fast path (figures in docs/hj212.md, "Speed"). So it fills an object of a private class with the
# identical slot layout by plain stores, then makes it a Frame (a CP) by assigning __class__. This is the one
# place hj212 does so; the layouts are checked to match at import. The general path uses the constructors.


class _FrameSlots:
    __slots__ = Frame.__slots__


class _CPSlots:
    __slots__ = CP.__slots__


for _cls in (Frame, CP):
    if tuple(f.name for f in dataclass_fields(_cls)) != _cls.__slots__:
        raise AssertionError(f"{_cls.__name__}'s slots no longer match its fields")  # pragma: no cover - import-time


def checked_frame(
    raw: bytes,
    segment: str,
    version: Version,
    header: Mapping[str, str],
    flag: int | None,
    pnum: int | None,
    pno: int | None,
    scalars: Mapping[str, str],
    items: Mapping[str, Mapping[str, str]],
    crc: str,
    quirks: frozenset[str],
) -> Frame:
    """The Frame of an ungrouped segment whose header (holding CN), Flag, PNUM and PNO were checked; equal to
    the one its constructor makes."""
    cp: Any = object.__new__(_CPSlots)
    cp.scalars = scalars
    cp.items = items
    cp.groups = ()
    cp.__class__ = CP
    f: Any = object.__new__(_FrameSlots)
    f.raw = raw
    f.segment = segment
    f.version = version
    f.qn = header.get("QN")
    f.st = header.get("ST")
    f.cn = header["CN"]
    f.pw = header.get("PW")
    f.mn = header.get("MN")
    f.flag = flag
    f.pnum = pnum
    f.pno = pno
    f.cp = cp
    f.header = header
    f.crc = crc
    f.ack_requested = flag is not None and flag & 1 == 1
    f.quirks = quirks
    f.__class__ = Frame
    frame: Frame = f
    return frame
