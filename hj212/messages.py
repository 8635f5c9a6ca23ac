"""The values hj212 hands out: Version, CP (the data area), Frame and DecodeError (HJ 212-2017 §6.3).

Frozen, slotted dataclasses in the style of h11's events. Values stay strings: the domain converts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from enum import StrEnum

__all__ = ["CP", "DecodeError", "Frame", "Version", "new_cp", "new_frame"]


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
class CP:
    """The data area `CP=&&...&&`: scalar fields and per-code fields, values as given (strings).

    `items` maps a code to its fields: `w01018-Rtd=2.2,w01018-Flag=N` -> {"w01018": {"Rtd": "2.2", "Flag": "N"}}.
    Info values (`i11001-Info=//text//`) are stored without the slashes.
    """

    scalars: Mapping[str, str] = field(default_factory=dict)
    items: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Scalars and per-code objects in one JSON-ready dict (the CLI's `cp`)."""
        out: dict[str, object] = dict(self.scalars)
        for code, fields in self.items.items():
            out[code] = dict(fields)
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


_SET = {f.name: Frame.__dict__[f.name].__set__ for f in dataclass_fields(Frame)}
_s_raw, _s_segment, _s_version, _s_qn, _s_st, _s_cn, _s_pw, _s_mn = (
    _SET[k] for k in ("raw", "segment", "version", "qn", "st", "cn", "pw", "mn")
)
_s_flag, _s_pnum, _s_pno, _s_cp, _s_header, _s_crc, _s_ack, _s_quirks = (
    _SET[k] for k in ("flag", "pnum", "pno", "cp", "header", "crc", "ack_requested", "quirks")
)
_object_new = object.__new__


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
    """The decoder's constructor: the same Frame, built by setting the slots directly.

    A frozen dataclass's __init__ routes every field through object.__setattr__; on the hot path (about a
    tenth of the time per frame) the slot descriptors are set instead. The arguments are already validated.
    """
    f: Frame = _object_new(Frame)
    _s_raw(f, raw)
    _s_segment(f, segment)
    _s_version(f, version)
    _s_qn(f, qn)
    _s_st(f, st)
    _s_cn(f, cn)
    _s_pw(f, pw)
    _s_mn(f, mn)
    _s_flag(f, flag)
    _s_pnum(f, pnum)
    _s_pno(f, pno)
    _s_cp(f, cp)
    _s_header(f, header)
    _s_crc(f, crc)
    _s_ack(f, ack_requested)
    _s_quirks(f, quirks)
    return f


_s_scalars = CP.__dict__["scalars"].__set__
_s_items = CP.__dict__["items"].__set__


def new_cp(scalars: Mapping[str, str], items: Mapping[str, Mapping[str, str]]) -> CP:
    """The decoder's constructor for CP (slots set directly, as in new_frame)."""
    cp: CP = _object_new(CP)
    _s_scalars(cp, scalars)
    _s_items(cp, items)
    return cp
