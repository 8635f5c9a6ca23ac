"""Shared helpers for the hj212 tests: golden frames, and feeding bytes whole, byte by byte and with trailers.

As in h11's tests, every parse test goes through `decode_all_ways`, which checks that a stream fed whole, one
byte at a time, followed by a trailing good frame, and to a decoder that knows its layouts (the fast path)
yields the same frames and errors.
"""

from __future__ import annotations

from pathlib import Path

from hj212 import DecodeError, Frame, LayoutCache, StreamDecoder, encode_frame

FRAMES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "frames"
TRAILER = encode_frame("QN=20260101000000000;ST=32;CN=9014;PW=1;MN=TRAILER;Flag=4;CP=&&&&")
# Whether a terminator was seen depends on where a read ends: these quirks may differ between chunkings.
_TERMINATOR_QUIRKS = frozenset({"lf_only", "cr_only", "no_terminator"})
Item = Frame | DecodeError


def golden(name: str) -> bytes:
    return (FRAMES_DIR / f"{name}.txt").read_bytes()


def golden_names() -> list[str]:
    return sorted(p.stem for p in FRAMES_DIR.glob("*.txt"))


def feed_chunks(data: bytes, size: int, **options: object) -> list[Item]:
    decoder = StreamDecoder(**options)  # type: ignore[arg-type]
    out: list[Item] = []
    for i in range(0, len(data), size):
        out += decoder.feed(data[i : i + size])
    out += decoder.close()
    return out


def feed_whole(data: bytes, **options: object) -> list[Item]:
    return feed_chunks(data, max(len(data), 1), **options)


def feed_bytewise(data: bytes, **options: object) -> list[Item]:
    return feed_chunks(data, 1, **options)


def summary(item: Item) -> tuple[object, ...]:
    """What must not depend on how the stream was cut into reads."""
    if isinstance(item, Frame):
        return (
            "frame",
            item.segment,
            item.raw.rstrip(b"\r\n"),
            item.crc,
            item.version,
            item.qn,
            item.st,
            item.cn,
            item.pw,
            item.mn,
            item.flag,
            item.pnum,
            item.pno,
            item.cp,
            dict(item.header),
            item.ack_requested,
            item.quirks - _TERMINATOR_QUIRKS,
        )
    return ("error", item.reason, item.data.rstrip(b"\r\n"))


def decode_all_ways(data: bytes, **options: object) -> list[Item]:
    """Decode `data` whole; assert byte-by-byte and with a trailing frame agree; return the whole result."""
    whole = feed_whole(data, **options)
    bytewise = feed_bytewise(data, **options)
    assert [summary(x) for x in bytewise] == [summary(x) for x in whole]
    trailed = feed_whole(data + TRAILER, **options)
    assert isinstance(trailed[-1], Frame) and trailed[-1].raw == TRAILER
    assert [summary(x) for x in trailed[:-1]] == [summary(x) for x in whole]
    layouts = LayoutCache()  # seen twice, a layout is planned: the third decode takes the fast path if it can
    warm = [feed_whole(data, layouts=layouts, **options) for _ in range(3)][-1]
    assert warm == whole
    return whole


def only_frame(data: bytes, **options: object) -> Frame:
    items = decode_all_ways(data, **options)
    assert len(items) == 1 and isinstance(items[0], Frame), items
    return items[0]


def reasons(items: list[Item]) -> list[str]:
    return ["frame" if isinstance(x, Frame) else x.reason for x in items]


class Pair:
    """A terminal and a platform wired back to back (h11's ConnectionPair): each side decodes what the other
    sends with its own StreamDecoder, and every send is checked to come out as exactly one frame."""

    def __init__(self) -> None:
        self.terminal = StreamDecoder()
        self.platform = StreamDecoder()

    @staticmethod
    def _one(decoder: StreamDecoder, data: bytes) -> Frame:
        items = decoder.feed(data)
        assert len(items) == 1 and isinstance(items[0], Frame), items
        assert items[0].raw == data
        return items[0]

    def to_platform(self, data: bytes) -> Frame:
        return self._one(self.platform, data)

    def to_terminal(self, data: bytes) -> Frame:
        return self._one(self.terminal, data)
