"""Property tests (hypothesis): round trips in any chunking; arbitrary bytes never raise, hang or grow."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hj212 import (
    CP,
    BadFrameError,
    CPGroup,
    DecodeError,
    Frame,
    LayoutCache,
    StreamDecoder,
    Version,
    build_frame,
    crc16,
    crc16_reference,
    encode_frame,
)
from hj212.segment import _split_lenient, parse_segment

from .helpers import feed_whole, golden, golden_names, summary

pytestmark = pytest.mark.unit

_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", min_size=1, max_size=8)
_VALUE = st.text(alphabet=st.characters(blacklist_characters=";,=&\r\n", blacklist_categories=("Cs",)), max_size=12)
_ID = st.text(alphabet=st.characters(blacklist_characters=";,=&\r\n", blacklist_categories=("Cs",)), max_size=30)


@st.composite
def cps(draw: st.DrawFn) -> CP:
    scalars = draw(st.dictionaries(_NAME, _VALUE.map(str.strip), max_size=4))
    items = draw(
        st.dictionaries(_NAME, st.dictionaries(_NAME, _VALUE.map(str.strip), min_size=1, max_size=4), max_size=6)
    )
    # Sometimes repeated groups (PolId=…,code-field=…;PolId=…): a heading and group scalars no plain scalar uses
    group_name = _NAME.filter(lambda n: n not in scalars)
    head = draw(group_name)
    groups = draw(
        st.lists(
            st.builds(
                lambda value, extra, fields: CPGroup({head: value} | extra, fields),
                _VALUE.map(str.strip),
                st.dictionaries(group_name.filter(lambda n: n != head), _VALUE.map(str.strip), max_size=2),
                st.dictionaries(
                    _NAME, st.dictionaries(_NAME, _VALUE.map(str.strip), min_size=1, max_size=3), max_size=3
                ),
            ),
            min_size=2,
            max_size=4,
        )
        | st.just([])
    )
    return CP(scalars, items, tuple(groups))


@st.composite
def frames(draw: st.DrawFn) -> tuple[bytes, dict[str, object]]:
    fields: dict[str, object] = {
        "st": draw(st.sampled_from(["32", "31", "44", "91", "22"])),
        "cn": draw(st.sampled_from(["2011", "2051", "2061", "9014", "1062", "9999"])),
        "mn": draw(_ID.map(str.strip)),
        "pw": draw(_ID.map(str.strip)),
        "qn": draw(st.none() | st.from_regex(r"\A[0-9]{17}\Z")),
        "version": draw(st.sampled_from(list(Version))),
        "ack": draw(st.booleans()),
        "cp": draw(cps()),
    }
    # Sometimes a packet of a split upload (the D bit in Flag, PNUM and PNO)
    packet = draw(st.none() | st.integers(1, 9999).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))))
    fields["pnum"], fields["pno"] = packet or (None, None)
    return build_frame(**fields), fields  # type: ignore[arg-type]


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames(), min_size=1, max_size=4), st.lists(st.integers(min_value=0), max_size=12))
def test_property_built_frames_round_trip_in_any_chunking(
    built: list[tuple[bytes, dict[str, object]]], cuts: list[int]
) -> None:
    # Given frames built from arbitrary valid fields, sent back to back and cut anywhere
    data = b"".join(f for f, _ in built)
    decoder = StreamDecoder()
    got = [x for chunk in _chunks(data, cuts) for x in decoder.feed(chunk)] + list(decoder.close())
    # Then each comes back with the fields it was built from
    assert len(got) == len(built) and all(isinstance(x, Frame) for x in got), got
    for frame, (raw, fields) in zip(got, built, strict=True):
        assert isinstance(frame, Frame)
        assert frame.raw.rstrip(b"\r\n") == raw.rstrip(b"\r\n")
        assert (frame.st, frame.cn, frame.qn) == (fields["st"], fields["cn"], fields["qn"])
        assert (frame.mn, frame.pw) == (fields["mn"], fields["pw"])
        assert frame.version == fields["version"] and frame.ack_requested == fields["ack"]
        assert (frame.pnum, frame.pno) == (fields["pnum"], fields["pno"])
        expected = fields["cp"]
        assert isinstance(expected, CP)
        assert frame.cp.scalars == expected.scalars and frame.cp.items == expected.items
        assert frame.cp.groups == expected.groups


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(min_value=0), max_size=20))
def test_property_arbitrary_bytes_in_any_chunking_never_raise_and_stay_bounded(data: bytes, cuts: list[int]) -> None:
    # Given arbitrary bytes (with good frames mixed in, so framing paths are exercised)
    stream = data + golden("2017_1062_appendix_a") + data[::-1]
    decoder = StreamDecoder(max_buffer=256, max_frame_length=200)
    t0 = time.perf_counter()
    out: list[Frame | DecodeError] = []
    for chunk in _chunks(stream, cuts):
        out += decoder.feed(chunk)
        # Then the buffer never grows past the cap (plus the read being handled)
        assert decoder.buffered <= 256 + len(chunk)
    out += decoder.close()
    assert time.perf_counter() - t0 < 5
    # And every byte is accounted for: frames and errors never claim more than was sent
    assert all(isinstance(x, Frame | DecodeError) for x in out)
    assert decoder.buffered == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(golden_names()), min_size=1, max_size=5), st.binary(max_size=40), st.integers(1, 64))
def test_property_garbage_between_golden_frames_never_loses_a_frame(names: list[str], junk: bytes, size: int) -> None:
    # Given golden frames with garbage (no '#') between them, cut into reads of any size
    junk = junk.replace(b"#", b"")
    data = b"".join(junk + golden(n) for n in names) + junk
    got = [x for x in feed_whole(data)]
    chunked = StreamDecoder()
    got2 = [x for i in range(0, len(data), size) for x in chunked.feed(data[i : i + size])] + list(chunked.close())
    # Then every good frame is found, whatever the chunking
    good = [n for n in names if "crc_mismatch" not in n]
    for result in (got, got2):
        frames_found = [x for x in result if isinstance(x, Frame)]
        assert len(frames_found) == len(good)
    assert [summary(x) for x in got if isinstance(x, Frame)] == [summary(x) for x in got2 if isinstance(x, Frame)]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2000))
def test_property_fast_crc_equals_the_appendix_a_algorithm(data: bytes) -> None:
    assert crc16(data) == crc16_reference(data)


@settings(max_examples=300, deadline=None)
@given(frames())
def test_property_fast_segment_path_equals_lenient_path(built: tuple[bytes, dict[str, object]]) -> None:
    # Given a well-formed segment, parsed often enough by one decoder for its layout to be planned
    seg = built[0][6:-6].decode("utf-8")
    lenient = _split_lenient(seg, set())
    layouts = LayoutCache()
    for _ in range(3):
        header, qn, st_, cn, pw, mn, flag, pnum, pno, version, cp, quirks = parse_segment(seg, None, layouts)
        # Then the fast path gives exactly what the lenient path gives
        assert header == lenient[0] and cp == lenient[1]


def test_fuzz_fixed_size_run_of_mutated_frames_never_raises() -> None:
    # A deterministic fuzz run (fixed seed and size, for CI): golden frames with bytes flipped, cut, repeated
    rng = random.Random(212)
    corpus = [golden(n) for n in golden_names()]
    t0 = time.perf_counter()
    layouts = LayoutCache()  # shared by every stream, as a listener's connections share one (fast path fuzzed too)
    for _ in range(2000):
        parts = []
        for _ in range(rng.randint(1, 4)):
            frame = bytearray(rng.choice(corpus))
            for _ in range(rng.randint(0, 4)):
                op = rng.randrange(4)
                i = rng.randrange(len(frame))
                if op == 0:
                    frame[i] = rng.randrange(256)
                elif op == 1:
                    del frame[i : i + rng.randint(1, 8)]
                elif op == 2:
                    frame[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
                else:
                    frame[i:i] = b"##" + str(rng.randint(0, 9999)).zfill(4).encode()
            parts.append(bytes(frame))
        data = b"".join(parts)
        decoder = StreamDecoder(max_buffer=4096, layouts=layouts)
        pos = 0
        while pos < len(data):
            step = rng.randint(1, 64)
            decoder.feed(data[pos : pos + step])
            assert decoder.buffered <= 4096 + step
            pos += step
        decoder.close()
    assert time.perf_counter() - t0 < 60


def test_encode_frame_matches_reference_for_chinese_segment() -> None:
    seg = "QN=1;ST=32;CN=3020;CP=&&i11001-Info=//清洗管路//&&"
    raw = seg.encode("utf-8")
    assert encode_frame(seg) == b"##%04d" % len(raw) + raw + b"%04X\r\n" % crc16_reference(raw)


@settings(max_examples=300, deadline=None)
@given(frames())
def test_property_fast_frame_equals_the_general_decoder(built: tuple[bytes, dict[str, object]]) -> None:
    # Given a built frame, decoded once through the general (lenient) path and then, by a decoder that has seen
    # its layout, through the fast path
    from hj212.stream import _make_frame

    raw = built[0]
    seg, crc = raw[6:-6], raw[-6:-2]
    general = _make_frame(raw, seg, crc, [], None)
    layouts = LayoutCache()
    for _ in range(3):
        fast = layouts.frame(raw, seg, crc.decode())
        # Then whenever the fast path answers, it answers exactly as the general path
        assert fast is None or fast == general


_SPLICES = (b"CP=", b"XCP=1;", b"&&", b";CP=&&", b"-", b"=", b",Flag=4", b";PNUM=2;PNO=1", b"//x//", b"CN=", b";;")


def test_fuzz_fast_path_equals_the_general_path_on_mutated_golden_segments() -> None:
    # Given golden segments with bytes cut, inserted and spliced, framed with a good CRC (a fixed-seed run)
    from hj212.stream import _make_frame

    rng = random.Random(2026)
    segments = [g[6 : g.rfind(b"&&") + 2] for g in (golden(n) for n in golden_names()) if b"&&" in g]
    fast = 0
    for _ in range(4000):
        seg = bytearray(rng.choice(segments))
        for _ in range(rng.randint(0, 4)):
            i = rng.randrange(len(seg) + 1)
            op = rng.randrange(3)
            if op == 0:
                del seg[i : i + rng.randint(1, 3)]
            elif op == 1:
                seg[i:i] = bytes(rng.choice(b";,=&-CPQNSTFlag01 \xe4") for _ in range(rng.randint(1, 3)))
            else:
                seg[i:i] = rng.choice(_SPLICES)
        raw = encode_frame(bytes(seg))
        body, crc = raw[6:-6], raw[-6:-2]
        try:
            general: Frame | None = _make_frame(raw, body, crc, [], None)
        except BadFrameError:
            general = None
        layouts = LayoutCache()
        for _ in range(3):  # the third sighting takes the fast path, if the segment allows it
            got = layouts.frame(raw, body, crc.decode())
        # Then the fast path either declines or gives exactly the general path's frame
        if got is not None:
            fast += 1
            assert got == general, bytes(seg)
    assert fast > 500  # the fast path was exercised, not only declined
