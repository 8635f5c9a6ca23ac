"""Incremental framing of a TCP byte stream into frames and decode errors (HJ 212-2017 §6.3.1 表2)."""

from __future__ import annotations

from .crc import CRC_VALUES, crc16, crc16_modbus
from .errors import BadFrameError, UsageError
from .fastpath import LayoutCache
from .messages import DecodeError, Frame
from .resync import HDR_RE, WaitingSearch
from .segment import parse_segment

__all__ = ["StreamDecoder"]

# Theory of operation. A frame is `##` + 4 decimal digits L + data segment + 4 hex CRC + CR LF. Real
# terminals deviate (research §1, §5, §7), so the decoder, at each candidate `##dddd`:
#
# 1. *Aligned*: if the 4 bytes after L bytes of segment are the CRC, the frame ends there. It is accepted
#    when the CRC matches (compared case-insensitively; CRC-16/MODBUS too when `accept_modbus_crc`) and
#    it is followed by CR LF, LF, CR, `##`, the end of the bytes so far, or (quirk) anything else.
# 2. *Misaligned* (declared length wrong, or counted in characters): the real end is the first
#    `&&` + 4 hex + terminator. If the segment up to there has L *characters* and its CRC matches, it is a
#    frame (quirk `char_length`); otherwise a `bad_length` error that consumes it.
# 3. A candidate that contains another `##dddd` before its end is never allowed to swallow it: it is dropped
#    one byte at a time (`garbage`) so that a good frame behind a false header is always found. While a
#    candidate waits for bytes, a complete valid frame behind it also ends the wait.
#
# Acceptance never depends on more bytes arriving, so a frame is returned as soon as its CRC is in (a
# terminator that arrives in the next read is swallowed). The buffer holds at most one candidate, bounded by
# `max_buffer`; garbage is counted and only its head is kept; nothing here can raise, loop, or grow unbounded.

_HEX = b"0123456789abcdefABCDEF"
_GARBAGE_HEAD = 256  # bytes of a garbage run kept for the error value
# The printed form of every value the HJ 212 CRC can take: only 256 exist (research §4.3).
_HEX4 = {v: b"%04X" % v for v in CRC_VALUES}
_HEX4_TEXT = {v: f"{v:04X}" for v in CRC_VALUES}
_Out = list[Frame | DecodeError]


class StreamDecoder:
    """Turns the bytes of one TCP connection into `Frame`s and `DecodeError`s, in stream order.

    `feed(data)` returns what the bytes so far complete; `close()` returns what is left at EOF. It never
    raises. `accept_modbus_crc` may be switched per terminal at any time (e.g. once its MN is known).
    `layouts` holds what the decoder learns of the field layouts it sees (its own unless one is given).
    """

    def __init__(
        self,
        *,
        max_frame_length: int = 9999,
        max_buffer: int = 65536,
        accept_modbus_crc: bool = False,
        layouts: LayoutCache | None = None,
    ):
        if not 0 < max_frame_length <= 9999:
            raise UsageError("max_frame_length must be within 1..9999 (four decimal digits)")
        if max_buffer < 16:
            raise UsageError("max_buffer must be at least 16 bytes")
        self.max_frame_length = max_frame_length
        self.max_buffer = max_buffer
        self.accept_modbus_crc = accept_modbus_crc
        self._buf = b""
        self._swallow = b""  # terminator bytes that may still follow a frame returned at the end of a read
        self._garbage = bytearray()
        self._garbage_count = 0
        self._wait = WaitingSearch()
        self._layouts = LayoutCache() if layouts is None else layouts

    # ---- public -------------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame | DecodeError]:
        """Add bytes from the stream; return the frames and errors they complete."""
        out: _Out = []
        chunk = data if type(data) is bytes else bytes(data)
        if self._swallow and chunk:
            chunk = self._eat_terminator(chunk)
        if not chunk:
            return out
        work = self._buf + chunk if self._buf else chunk
        pos = self._scan(work, out, final=False)
        self._buf = work[pos:]
        self._wait.base += pos
        if self._garbage_count >= self.max_buffer:
            self._flush_garbage(out)
        return out

    def close(self) -> list[DecodeError]:
        """End of stream: report what is left (an unfinished frame, trailing garbage) and reset."""
        out: _Out = []
        if self._buf:
            self._scan(self._buf, out, final=True)
        self._flush_garbage(out)
        self._buf = b""
        self._swallow = b""
        self._wait = WaitingSearch()
        return [item for item in out if isinstance(item, DecodeError)]

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for the rest of a frame (bounded by `max_buffer`)."""
        return len(self._buf)

    # ---- scanning -----------------------------------------------------------------------------------

    def _eat_terminator(self, data: bytes) -> bytes:
        """Drop the CR LF (or LF) of a frame already returned at the end of the previous read."""
        swallow, self._swallow = self._swallow, b""
        if swallow == b"\r\n" and data[:1] == b"\r":
            data = data[1:]
            if not data:
                self._swallow = b"\n"
                return data
        if data[:1] == b"\n":
            data = data[1:]
        return data

    def _scan(self, b: bytes, out: _Out, final: bool) -> int:
        """Consume complete frames/errors from `b`; return how many bytes were consumed."""
        pos = 0
        n = len(b)
        max_length = self.max_frame_length
        fast_frame = self._layouts.frame
        while pos < n:
            if b.startswith(b"##", pos):
                # Hot path: a well-formed frame with CR LF and an upper-case CRC, decided in one go.
                head = b[pos + 2 : pos + 6]
                if len(head) == 4 and head.isdigit() and (length := int(head)) <= max_length:
                    e = pos + 6 + length
                    if b.startswith(b"\r\n", e + 4):
                        seg = b[pos + 6 : e]
                        crc = crc16(seg)
                        if _HEX4[crc] == b[e : e + 4] and b"##" not in seg:
                            frame = fast_frame(b[pos : e + 6], seg, _HEX4_TEXT[crc])
                            if frame is not None:
                                if self._garbage_count:
                                    self._flush_garbage(out)
                                out.append(frame)
                                pos = e + 6
                                continue
            else:
                q = b.find(b"##", pos)
                if q < 0:
                    end = n - 1 if b[-1] == 0x23 and not final else n  # a lone '#' may start a header
                    self._add_garbage(b[pos:end])
                    return end
                self._add_garbage(b[pos:q])
                pos = q
            nxt = self._candidate(b, pos, out, final)
            if nxt < 0:
                return pos
            pos = nxt
        return pos

    def _candidate(self, b: bytes, p: int, out: _Out, final: bool) -> int:
        """Decide about the candidate at `p`: return where scanning resumes, or -1 to wait for bytes."""
        n = len(b)
        head = b[p + 2 : p + 6]
        if not head.isdigit() or len(head) < 4:
            if len(head) < 4 and (not head or head.isdigit()):  # an unfinished header
                if final:
                    self._error(out, "truncated", b[p:], "the stream ended inside a frame header")
                    return n
                return -1
            self._add_garbage(b[p : p + 1])
            return p + 1
        length = int(head)
        if length > self.max_frame_length:
            self._error(out, "oversize", b[p : p + 6], f"declared length {length} > {self.max_frame_length}")
            return p + 6
        e = p + 6 + length
        if n >= e + 4:
            r = self._aligned(b, p, e, out, final)
            if r is not None:
                return r
        return self._misaligned(b, p, length, out, final)

    def _crc_ok(self, seg: bytes, crc_text: bytes) -> tuple[bool, bool]:
        """(matches, modbus) for a segment and the CRC text that follows it."""
        expected = _HEX4[crc16(seg)]
        if crc_text == expected or crc_text.upper() == expected:
            return True, False
        if self.accept_modbus_crc and _is_modbus(seg, crc_text):
            return True, True
        return False, False

    def _aligned(self, b: bytes, p: int, e: int, out: _Out, final: bool) -> int | None:
        """The declared length lines up with a CRC: return where to resume, or None if it does not."""
        seg = b[p + 6 : e]
        crc_text = b[e : e + 4]
        t = b[e + 4 : e + 5]
        sure = t == b"\r" or t == b"\n" or b.startswith(b"##", e + 4)
        strong = sure or (final and not t)
        ok, modbus = self._crc_ok(seg, crc_text)
        inner = b"##" in seg and HDR_RE.search(seg) is not None
        if ok and (sure or not inner):
            end, quirks = self._terminator(b, e + 4, t, final)
            if modbus:
                quirks.append("modbus_crc")
            return self._emit_frame(out, b, p, end, seg, crc_text, quirks, _mode(strong, t))
        if not ok and strong and not inner and not crc_text.translate(None, _HEX):
            end, _ = self._terminator(b, e + 4, t, final)
            variant = "modbus" if _is_modbus(seg, crc_text) else None
            computed = _HEX4[crc16(seg)].decode()
            self._error(out, "crc_mismatch", b[p:end], f"declared {crc_text.decode()}, computed {computed}", variant)
            return end
        return None

    def _misaligned(self, b: bytes, p: int, length: int, out: _Out, final: bool) -> int:
        """The declared length does not line up (or the frame is not all in): find the real end, or wait."""
        n = len(b)
        m, h = self._wait.search(b, p)
        if m is not None and (h < 0 or h > m.start()):
            seg_end = m.start() + 2
            seg = b[p + 6 : seg_end]
            crc_text = b[seg_end : seg_end + 4]
            t = b[seg_end + 4 : seg_end + 5]
            strong = bool(t) or final
            ok, modbus = self._crc_ok(seg, crc_text)
            if ok:
                try:
                    chars = len(seg.decode("utf-8"))
                except UnicodeDecodeError:
                    chars = -1
                if chars == length:
                    end, quirks = self._terminator(b, seg_end + 4, t, final)
                    quirks.append("char_length")
                    if modbus:
                        quirks.append("modbus_crc")
                    return self._emit_frame(out, b, p, end, seg, crc_text, quirks, _mode(strong, t))
            if not strong:
                self._wait.end_from = self._wait.base + m.start()  # look at this end again when more is in
                return self._hold(b, p, out)
            end, _ = self._terminator(b, seg_end + 4, t, final)
            crc_note = "CRC matches" if ok else "CRC does not match either"
            self._error(out, "bad_length", b[p:end], f"declared {length}, segment has {len(seg)} bytes; {crc_note}")
            return end
        if h >= 0:
            if n >= p + 6 + length + 5 or final:
                self._add_garbage(b[p : p + 1])
                return p + 1
            v = self._wait.valid_behind(b, h, self._crc_ok)
            if v >= 0:  # a good frame completed behind this false header: skip to it
                self._add_garbage(b[p:v])
                return v
        if final:
            short = p + 10 + length - n  # bytes missing to the declared segment and its CRC
            if short > 0:
                self._error(out, "truncated", b[p:], f"the stream ended {short} bytes short of a frame")
            else:  # every declared byte is in, yet nothing closes the data segment: not cut off, unterminated
                detail = f"no end marker: all {length} declared bytes are in, but no '&&' + CRC closes the segment"
                self._error(out, "bad_length", b[p:], detail)
            return n
        if n - p > 1034 + 4 * length:  # no end in sight even for a segment of 4-byte characters
            self._add_garbage(b[p : p + 1])
            return p + 1
        return self._hold(b, p, out)

    def _hold(self, b: bytes, p: int, out: _Out) -> int:
        if len(b) - p > self.max_buffer:
            self._error(out, "oversize", b[p : p + 64], f"more than {self.max_buffer} bytes without a frame end")
            return p + 6
        return -1

    def _terminator(self, b: bytes, end: int, t: bytes, final: bool) -> tuple[int, list[str]]:
        """Where a frame whose CRC ends at `end` stops, and the terminator quirk."""
        if t == b"\r":
            nx = b[end + 1 : end + 2]
            if nx == b"\n":
                return end + 2, []
            if not nx and not final:
                self._swallow = b"\n"
                return end + 1, []
            return end + 1, ["cr_only"]
        if t == b"\n":
            return end + 1, ["lf_only"]
        if not t and not final:
            self._swallow = b"\r\n"
            return end, []
        return end, ["no_terminator"]

    # ---- output -------------------------------------------------------------------------------------

    def _emit_frame(
        self, out: _Out, b: bytes, p: int, end: int, seg: bytes, crc_text: bytes, quirks: list[str], mode: int
    ) -> int:
        """Append the frame; if its segment cannot be read, decide by how sure the framing is (`_mode`)."""
        try:
            frame = _make_frame(b[p:end], seg, crc_text, quirks, self._layouts)
        except BadFrameError as exc:
            if mode == _SURE:
                self._error(out, exc.reason, b[p:end], exc.detail)
                return end
            self._swallow = b""
            if mode == _OPEN:
                return -1  # the terminator may still come and make it sure
            self._add_garbage(b[p : p + 1])
            return p + 1
        self._flush_garbage(out)
        out.append(frame)
        return end

    def _add_garbage(self, chunk: bytes) -> None:
        if chunk:
            room = _GARBAGE_HEAD - len(self._garbage)
            if room > 0:
                self._garbage += chunk[:room]
            self._garbage_count += len(chunk)

    def _flush_garbage(self, out: _Out) -> None:
        if self._garbage_count:
            detail = f"{self._garbage_count} bytes skipped"
            out.append(DecodeError("garbage", bytes(self._garbage), detail))
            self._garbage = bytearray()
            self._garbage_count = 0

    def _error(self, out: _Out, reason: str, data: bytes, detail: str, variant: str | None = None) -> None:
        self._flush_garbage(out)
        out.append(DecodeError(reason, data, detail, variant))


_SURE, _OPEN, _LOOSE = 0, 1, 2


def _mode(strong: bool, t: bytes) -> int:
    """How sure the framing is: a terminator (or EOF) follows; nothing yet; some other byte follows."""
    return _SURE if strong else (_OPEN if not t else _LOOSE)


def _is_modbus(seg: bytes, crc_text: bytes) -> bool:
    """Does the printed CRC equal CRC-16/MODBUS of the segment, in either byte order?"""
    value = crc16_modbus(seg)
    text = crc_text.upper()
    return text == b"%04X" % value or text == b"%04X" % (((value & 0xFF) << 8) | (value >> 8))


def _make_frame(raw: bytes, seg: bytes, crc_text: bytes, quirks: list[str], layouts: LayoutCache | None) -> Frame:
    """The general (lenient) construction of a frame whose framing and CRC were checked."""
    utf8: bytes | None = seg
    try:
        text = seg.decode("utf-8")
    except UnicodeDecodeError:
        # Some terminals write Chinese Info text in GBK; keep it readable, record it (raw stays exact).
        text = seg.decode("gb18030", "replace")
        quirks.append("not_utf8")
        utf8 = None
    header, qn, st, cn, pw, mn, flag, pnum, pno, version, cp, seg_quirks = parse_segment(text, utf8, layouts)
    crc = crc_text.decode("ascii")
    if not crc.isupper() and not crc.isdigit():
        quirks.append("lowercase_crc")
    if quirks:
        seg_quirks = seg_quirks.union(quirks)
    return Frame(
        raw,
        text,
        version,
        qn,
        st,
        cn,
        pw,
        mn,
        flag,
        pnum,
        pno,
        cp,
        header,
        crc,
        flag is not None and flag & 1 == 1,
        seg_quirks,
    )
