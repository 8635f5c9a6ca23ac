"""Command line for installers and developers: `python -m hj212 decode|build|crc` (docs/hj212.md).

decode: a byte stream (stdin or --file) -> one JSON object per frame or error, in stream order.
build:  fields -> one frame on stdout.    crc: a data segment -> its HJ 212 CRC.
This is the package's only I/O edge; the library itself reads and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import BinaryIO, Protocol

from .crc import crc16, crc16_modbus, format_crc
from .errors import HJ212Error
from .frame import build_frame, encode_frame
from .messages import DecodeError, Frame, Version
from .replies import reply_for
from .stream import StreamDecoder

__all__ = ["frame_json", "main"]


class _Text(Protocol):
    def write(self, text: str, /) -> int: ...


_CHUNK = 65536


class _UsageError(Exception):
    """Bad command-line input: one line on stderr, exit status 2."""


def frame_json(item: Frame | DecodeError, *, with_reply: bool = False) -> dict[str, object]:
    """The JSON object the decode command prints for a frame or an error."""
    if isinstance(item, DecodeError):
        out: dict[str, object] = {"ok": False, "error": item.reason, "detail": item.detail}
        out.update(dict.fromkeys(("version", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno")))
        out.update({"ack_requested": False, "cp": None, "crc": None, "crc_variant": item.crc_variant})
        out["data"] = item.data.decode("utf-8", "backslashreplace")
        if with_reply:
            out["reply"] = None
        return out
    out = {
        "ok": True,
        "error": None,
        "version": item.version.value,
        "qn": item.qn,
        "st": item.st,
        "cn": item.cn,
        "pw": item.pw,
        "mn": item.mn,
        "flag": item.flag,
        "pnum": item.pnum,
        "pno": item.pno,
        "ack_requested": item.ack_requested,
        "cp": item.cp.to_dict(),
        "crc": item.crc,
        "quirks": sorted(item.quirks),
        "header": dict(item.header),
    }
    if with_reply:
        reply = reply_for(item)
        out["reply"] = None if reply is None else reply.decode("utf-8")
    return out


def _decode(args: argparse.Namespace, stdin: BinaryIO, stdout: _Text) -> int:
    decoder = StreamDecoder(max_frame_length=args.max_frame_length, accept_modbus_crc=args.accept_modbus_crc)
    try:
        source = open(args.file, "rb") if args.file else stdin  # noqa: SIM115 - closed below when ours
    except OSError as exc:
        raise _UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    errors = 0
    try:
        while True:
            chunk = source.read(_CHUNK)
            items: list[Frame | DecodeError] = decoder.feed(chunk) if chunk else list(decoder.close())
            for item in items:
                errors += isinstance(item, DecodeError)
                stdout.write(json.dumps(frame_json(item, with_reply=args.reply), ensure_ascii=False) + "\n")
            if not chunk:
                break
    finally:
        if args.file:
            source.close()
    return 1 if errors else 0


def _build(args: argparse.Namespace, stdout: BinaryIO) -> int:
    if args.segment is not None:
        frame = encode_frame(args.segment)
    else:
        if args.cn is None:
            raise _UsageError("--cn is required (or give --segment)")
        extra = {}
        for item in args.header or []:
            name, eq, value = item.partition("=")
            if not eq:
                raise _UsageError(f"--header takes NAME=VALUE, got {item!r}")
            extra[name] = value
        frame = build_frame(
            st=args.st,
            cn=args.cn,
            mn=args.mn,
            pw=args.pw,
            qn=args.qn,
            flag=args.flag,
            version=Version(args.version),
            ack=args.ack,
            pnum=args.pnum,
            pno=args.pno,
            cp=args.cp,
            extra_header=extra or None,
        )
    stdout.write(frame)
    return 0


def _crc(args: argparse.Namespace, stdin: BinaryIO, stdout: _Text) -> int:
    if args.segment is not None:
        data = args.segment.encode("utf-8")
    else:
        data = stdin.read()
        # `echo` adds a line break that is not part of the segment.
        data = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
    value = crc16_modbus(data) if args.modbus else crc16(data)
    stdout.write(format_crc(value) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hj212", description="HJ 212 frames: decode, build, CRC.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("decode", help="decode a byte stream into JSON lines (one per frame or error)")
    d.add_argument("--file", help="read this file instead of stdin")
    d.add_argument("--reply", action="store_true", help="add the frame the platform would answer with")
    d.add_argument("--accept-modbus-crc", action="store_true", help="also accept CRC-16/MODBUS")
    d.add_argument("--max-frame-length", type=int, default=9999, help="largest declared length accepted")
    b = sub.add_parser("build", help="build one frame from fields and write it to stdout")
    b.add_argument("--segment", help="frame this data segment as is (other options are ignored)")
    b.add_argument("--qn", help="request code, 17 digits")
    b.add_argument("--st", default="32", help="system code (default 32)")
    b.add_argument("--cn", help="command code, e.g. 2051")
    b.add_argument("--pw", default="123456", help="password (default 123456)")
    b.add_argument("--mn", help="terminal id")
    b.add_argument("--flag", type=int, help="Flag as a number (default: version bits, D, A)")
    b.add_argument("--version", choices=[v.value for v in Version], default="2017")
    b.add_argument("--ack", action="store_true", help="ask for a reply (Flag bit A)")
    b.add_argument("--pnum", type=int)
    b.add_argument("--pno", type=int)
    b.add_argument("--cp", default="", help="the data area between CP=&& and &&, e.g. 'DataTime=...;Ia-Rtd=1.2'")
    b.add_argument("--header", action="append", help="an extra header field NAME=VALUE (repeatable)")
    c = sub.add_parser("crc", help="print the HJ 212 CRC of a data segment (argument or stdin)")
    c.add_argument("segment", nargs="?", help="the data segment (default: stdin, one trailing newline dropped)")
    c.add_argument("--modbus", action="store_true", help="print CRC-16/MODBUS instead")
    return p


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
) -> int:
    """Run the command line; returns the exit status (decode: 1 when the stream held errors)."""
    args = _parser().parse_args(argv)
    bin_in = stdin if stdin is not None else sys.stdin.buffer
    bin_out = stdout if stdout is not None else sys.stdout.buffer
    text_out = _TextOut(bin_out)
    try:
        if args.command == "decode":
            return _decode(args, bin_in, text_out)
        if args.command == "build":
            return _build(args, bin_out)
        return _crc(args, bin_in, text_out)
    except (HJ212Error, _UsageError) as exc:
        sys.stderr.write(f"hj212 {args.command}: {exc}\n")
        return 2
    finally:
        bin_out.flush()


class _TextOut:
    """UTF-8 text onto a binary stream (keeps output independent of the locale)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw

    def write(self, text: str) -> int:
        return self._raw.write(text.encode("utf-8"))
