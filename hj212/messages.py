"""The values hj212 hands out: Version, CP (the data area), Frame and DecodeError (HJ 212-2017 §6.3).

Frozen, slotted dataclasses in the style of h11's events. Values stay strings: the domain converts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from enum import StrEnum

__all__ = ["CP", "CPGroup", "DecodeError", "Frame", "Version", "new_cp", "new_frame"]


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


class _FrameInBuilding:
    """Frame's exact slot layout without the frozen __setattr__: filled with plain attribute stores, then
    turned into a Frame by assigning __class__ (allowed because the layouts are identical, checked below)."""

    __slots__ = Frame.__slots__
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
    quirks: frozenset[str]


class _CPInBuilding:
    """CP's slot layout, for the same purpose as _FrameInBuilding."""

    __slots__ = CP.__slots__
    scalars: Mapping[str, str]
    items: Mapping[str, Mapping[str, str]]
    groups: tuple[CPGroup, ...]


_object_new = object.__new__
_FRAME_FIELDS = tuple(f.name for f in dataclass_fields(Frame))
if _FRAME_FIELDS != Frame.__slots__ or tuple(f.name for f in dataclass_fields(CP)) != CP.__slots__:
    raise AssertionError("Frame/CP slots no longer match their fields")  # pragma: no cover - import-time check


def new_frame(
    raw: bytes,
    segment: str,
    version: Version,
    qn: str | None,
    st: str | None,
    cn: str | None,
    pw: str | None,
    mn: str | None,
    flag: int | None,
    pnum: int | None,
    pno: int | None,
    cp: CP,
    header: Mapping[str, str],
    crc: str,
    ack_requested: bool,
    quirks: frozenset[str],
) -> Frame:
    """The decoder's constructor: the same Frame, built by storing into the slots directly.

    A frozen dataclass's __init__ routes every field through object.__setattr__, and calling the slot
    descriptors' __set__ still costs a call each (about 0.8 us per frame); plain attribute stores on an
    object of the identical slot layout, then a __class__ switch, cost about a third. The arguments are
    already validated.
    """
    f: _FrameInBuilding = _object_new(_FrameInBuilding)
    f.raw = raw
    f.segment = segment
    f.version = version
    f.qn = qn
    f.st = st
    f.cn = cn
    f.pw = pw
    f.mn = mn
    f.flag = flag
    f.pnum = pnum
    f.pno = pno
    f.cp = cp
    f.header = header
    f.crc = crc
    f.ack_requested = ack_requested
    f.quirks = quirks
    f.__class__ = Frame  # type: ignore[assignment]
    return f  # type: ignore[return-value]


def new_cp(scalars: Mapping[str, str], items: Mapping[str, Mapping[str, str]]) -> CP:
    """The fast path's constructor for an ungrouped CP (slots stored directly, as in new_frame)."""
    cp: _CPInBuilding = _object_new(_CPInBuilding)
    cp.scalars = scalars
    cp.items = items
    cp.groups = ()
    cp.__class__ = CP  # type: ignore[assignment]
    return cp  # type: ignore[return-value]
