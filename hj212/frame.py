"""Whole frames: decode one, encode a segment, build one from fields (HJ 212-2017 §6.3, 表2 and 表3).

The header is written in the standard's order QN;ST;CN;PW;MN;Flag;PNUM;PNO;…;CP=&&…&&, and Flag carries
the version bits (V << 2), D (bit 1: PNUM/PNO present) and A (bit 0: reply wanted).
"""

from __future__ import annotations

from collections.abc import Mapping

from .crc import crc16
from .errors import BadFrameError, UsageError
from .fastpath import LayoutCache
from .messages import CP, Frame, Version
from .segment import check_value, encode_cp
from .stream import StreamDecoder

__all__ = ["build_frame", "build_segment", "decode_frame", "encode_frame"]

MAX_SEGMENT = 9999  # four decimal digits of length


def encode_frame(segment: str | bytes) -> bytes:
    """`##` + length (UTF-8 bytes, 4 digits) + segment + CRC (%04X) + CR LF."""
    body = segment.encode("utf-8") if isinstance(segment, str) else bytes(segment)
    if len(body) > MAX_SEGMENT:
        raise UsageError(f"a data segment of {len(body)} bytes does not fit the 4-digit length field")
    return b"##%04d%s%04X\r\n" % (len(body), body, crc16(body))


def decode_frame(data: bytes, *, accept_modbus_crc: bool = False, layouts: LayoutCache | None = None) -> Frame:
    """Decode exactly one frame (terminator optional); raise BadFrameError(reason) otherwise.

    Pass the same `layouts` to a run of calls so that the layouts learnt from one frame serve the next.
    """
    size = max(65536, len(data) + 16)
    decoder = StreamDecoder(max_buffer=size, accept_modbus_crc=accept_modbus_crc, layouts=layouts)
    found = decoder.feed(data)
    found += decoder.close()
    if not found:
        raise BadFrameError("truncated", "no bytes")
    first = found[0]
    if not isinstance(first, Frame):
        raise BadFrameError(first.reason, first.detail, first.data)
    if len(found) > 1:
        raise BadFrameError("trailing_bytes", f"{len(data) - len(first.raw)} bytes after the frame", data[-64:])
    return first


def _flag_for(version: Version, ack: bool, split: bool) -> int:
    return version.flag_bits | (2 if split else 0) | (1 if ack else 0)


def build_segment(
    *,
    st: str | None,
    cn: str,
    mn: str | None,
    pw: str | None,
    qn: str | None = None,
    flag: int | None = None,
    version: Version = Version.V2017,
    ack: bool = False,
    pnum: int | None = None,
    pno: int | None = None,
    cp: CP | Mapping[str, object] | str = "",
    extra_header: Mapping[str, str] | None = None,
    include_flag: bool = True,
) -> str:
    """The data segment text of `build_frame` (fields set to None are left out)."""
    if (pnum is None) != (pno is None):
        raise UsageError("pnum and pno go together")
    if pnum is not None and pno is not None and not 1 <= pno <= pnum <= 9999:
        raise UsageError(f"need 1 <= pno <= pnum <= 9999, got pno={pno} pnum={pnum}")
    if flag is None:
        flag = _flag_for(Version(version), ack, pnum is not None)
    elif not 0 <= flag <= 255:
        raise UsageError(f"Flag must be 0..255, got {flag}")
    parts = []
    for name, value in (("QN", qn), ("ST", st), ("CN", cn), ("PW", pw), ("MN", mn)):
        if value is not None:
            parts.append(f"{name}={check_value(name, str(value))}")
    if include_flag:
        parts.append(f"Flag={flag}")
    if pnum is not None:
        parts.append(f"PNUM={pnum};PNO={pno}")
    for name, value in (extra_header or {}).items():
        if name in ("", "CP") or not name.isascii() or not name.isalnum():
            raise UsageError(f"bad header field name {name!r}")
        parts.append(f"{name}={check_value(name, str(value))}")
    parts.append(f"CP=&&{encode_cp(cp)}&&")
    return ";".join(parts)


def build_frame(
    *,
    st: str | None,
    cn: str,
    mn: str | None,
    pw: str | None,
    qn: str | None = None,
    flag: int | None = None,
    version: Version = Version.V2017,
    ack: bool = False,
    pnum: int | None = None,
    pno: int | None = None,
    cp: CP | Mapping[str, object] | str = "",
    extra_header: Mapping[str, str] | None = None,
) -> bytes:
    """Encode a frame from fields. Flag defaults to the version bits plus D (when split) and A (`ack`)."""
    return encode_frame(
        build_segment(
            st=st,
            cn=cn,
            mn=mn,
            pw=pw,
            qn=qn,
            flag=flag,
            version=version,
            ack=ack,
            pnum=pnum,
            pno=pno,
            cp=cp,
            extra_header=extra_header,
        )
    )
