"""Errors of the hj212 package: one base, a peer kind and a local kind (the h11 split, STYLE.md §1)."""

from __future__ import annotations

__all__ = ["REASONS", "BadFrameError", "HJ212Error", "UsageError"]

# `BadFrameError` means the *peer* sent something we cannot read; it carries a stable `reason` code and the
# QnRtn a platform may answer with (HJ 212-2017 表6: 9 = CRC 校验错误, 100 = 未知错误). `UsageError` means
# *our* code misused the API (e.g. a value that cannot be encoded). The stream decoder never raises: it
# returns `DecodeError` values with the same reason codes.

# Stable reason codes (the API promises these strings) -> what they mean.
REASONS: dict[str, str] = {
    "crc_mismatch": "the CRC printed in the frame does not match the data segment",
    "bad_length": "the declared length does not match the data segment found",
    "malformed": "the data segment is not `KEY=value;...CP=&&...&&` (no CN, unreadable header)",
    "oversize": "a declared length above the configured cap, or a frame that would overflow the buffer",
    "garbage": "bytes between frames that start no frame (skipped, resynchronised)",
    "truncated": "the stream ended inside a frame",
    "trailing_bytes": "decode_frame was given bytes after the frame",
    "bad_time": "a time field is not YYYYMMDDhhmmss[zzz]",
}

# QnRtn a platform may send back for each reason (HJ 212-2017 表6).
_REPLY_CODES = {"crc_mismatch": 9}


class HJ212Error(Exception):
    """Base of every error raised by hj212; never raised itself."""

    def __init__(self, message: str) -> None:
        if type(self) is HJ212Error:
            raise TypeError("HJ212Error is abstract: raise BadFrameError or UsageError")
        super().__init__(message)


class BadFrameError(HJ212Error):
    """The peer sent bytes we cannot read as a frame (`reason` is one of `REASONS`)."""

    def __init__(self, reason: str, detail: str = "", data: bytes = b"") -> None:
        self.reason = reason
        self.detail = detail
        self.data = data
        self.reply_code: int = _REPLY_CODES.get(reason, 100)
        super().__init__(f"{reason}: {detail}" if detail else reason)


class UsageError(HJ212Error, ValueError):
    """Our own code misused the API (a value that cannot be encoded, a bad argument)."""
