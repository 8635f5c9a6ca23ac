"""StreamDecoder: framing of real and broken traffic (research §1, §4.4, §5, §7; issue 2 item 1)."""

from __future__ import annotations

import pytest

from hj212 import DecodeError, Frame, StreamDecoder, UsageError, crc16_modbus, encode_frame

from .helpers import (
    TRAILER,
    decode_all_ways,
    feed_bytewise,
    feed_chunks,
    feed_whole,
    golden,
    golden_names,
    only_frame,
    reasons,
)

pytestmark = pytest.mark.unit

APPENDIX_A = golden("2017_1062_appendix_a")
SEG_A = APPENDIX_A[6:-6]


@pytest.mark.parametrize("name", golden_names())
def test_stream_golden_frame_any_chunking_decodes_or_rejects_as_named(name: str) -> None:
    # Given a golden frame
    data = golden(name)
    # When it is decoded whole, byte by byte and with trailing bytes
    items = decode_all_ways(data)
    # Then it is one frame, or the negative vector's crc_mismatch; raw is exactly the input
    if "crc_mismatch" in name:
        assert reasons(items) == ["crc_mismatch"]
        assert isinstance(items[0], DecodeError) and items[0].data == data
    else:
        assert reasons(items) == ["frame"]
        assert items[0].raw == data  # type: ignore[union-attr]


def test_stream_appendix_a_frame_yields_all_header_fields() -> None:
    frame = only_frame(APPENDIX_A)
    assert (frame.qn, frame.st, frame.cn, frame.pw, frame.mn) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        "010000A8900016F000169DC0",
    )
    assert frame.flag == 5 and frame.version == "2017" and frame.ack_requested
    assert frame.crc == "1C80" and frame.quirks == frozenset()
    assert frame.cp.scalars == {"RtdInterval": "30"}


def test_stream_many_frames_in_one_read_come_out_in_order() -> None:
    # Given every golden frame back to back in one read
    names = golden_names()
    data = b"".join(golden(n) for n in names)
    # When decoded in chunks of 37 bytes (research §8 check) and whole
    for items in (feed_whole(data), feed_chunks(data, 37), feed_bytewise(data)):
        # Then one result per frame, in stream order
        assert reasons(items) == ["crc_mismatch" if "crc_mismatch" in n else "frame" for n in names]
    # And behind a garbage prefix (with a stray '#') the same, after one garbage error
    prefixed = feed_chunks(b"\x00garb#age\r\n" + data, 37)
    assert reasons(prefixed) == ["garbage"] + ["crc_mismatch" if "crc_mismatch" in n else "frame" for n in names]


def test_stream_garbage_and_stray_hashes_before_a_frame_are_reported_once() -> None:
    # Given garbage with a stray '#' and false '##' headers before a good frame
    data = b"xx#y##ab##12##0001z#" + APPENDIX_A
    items = decode_all_ways(data)
    # Then one garbage error carrying the skipped bytes, then the frame
    assert reasons(items) == ["garbage", "frame"]
    assert isinstance(items[0], DecodeError) and items[0].data == data[: -len(APPENDIX_A)]


def test_stream_false_header_with_long_length_does_not_swallow_the_next_frame() -> None:
    # Given a false header whose declared length runs over a good frame
    data = b"##0500abc" + APPENDIX_A
    # When fed byte by byte, the good frame is found as soon as it is complete, not after 510 bytes
    decoder = StreamDecoder()
    got = [x for i in range(len(data)) for x in decoder.feed(data[i : i + 1])]
    assert reasons(got) == ["garbage", "frame"]
    assert got[1].raw == APPENDIX_A[:-2]  # type: ignore[union-attr]  (its CRLF had not arrived yet)
    assert reasons(decode_all_ways(data)) == ["garbage", "frame"]


def test_stream_false_header_with_short_length_does_not_swallow_the_next_frame() -> None:
    data = b"##0010" + APPENDIX_A
    assert reasons(decode_all_ways(data)) == ["garbage", "frame"]


def test_stream_false_header_spanning_to_a_real_terminator_keeps_the_inner_frame() -> None:
    # Given a false header whose declared span ends exactly at the good frame's CRC and CRLF
    inner_len = len(APPENDIX_A) - 4 - 2
    fake = b"##%04d" % (inner_len + 3) + b"abc"
    items = decode_all_ways(fake + APPENDIX_A)
    # Then its bad CRC does not consume the good frame inside it
    assert reasons(items) == ["garbage", "frame"]


@pytest.mark.parametrize(
    ("terminator", "quirk"), [(b"\r\n", None), (b"\n", "lf_only"), (b"\r", "cr_only"), (b"", "no_terminator")]
)
def test_stream_terminators_crlf_lf_cr_or_none_are_accepted(terminator: bytes, quirk: str | None) -> None:
    data = APPENDIX_A[:-2] + terminator
    frame = only_frame(data)
    assert frame.raw == data
    items = feed_whole(data + TRAILER)
    assert reasons(items) == ["frame", "frame"]
    if quirk is not None:
        assert quirk in items[0].quirks  # type: ignore[union-attr]


def test_stream_frame_at_end_of_read_is_returned_before_its_terminator_arrives() -> None:
    # Given a frame whose CRLF comes in the next read
    decoder = StreamDecoder()
    first = decoder.feed(APPENDIX_A[:-2])
    # Then it is returned at once (the terminal is waiting for its ack), and the CRLF is swallowed
    assert reasons(first) == ["frame"] and first[0].raw == APPENDIX_A[:-2]  # type: ignore[union-attr]
    assert decoder.feed(b"\r") == [] and decoder.feed(b"\n") == []
    assert decoder.feed(APPENDIX_A)[0].raw == APPENDIX_A  # type: ignore[union-attr]
    assert decoder.close() == []


def test_stream_lowercase_crc_is_accepted_with_quirk() -> None:
    frame = only_frame(golden("2005_2011_lowercase_crc"))
    assert frame.crc == "1dc0" and "lowercase_crc" in frame.quirks


def test_stream_crc_mismatch_reports_declared_and_computed() -> None:
    data = APPENDIX_A.replace(b"1C80", b"1C81")
    items = decode_all_ways(data)
    assert reasons(items) == ["crc_mismatch"]
    err = items[0]
    assert isinstance(err, DecodeError) and "1C81" in err.detail and "1C80" in err.detail
    assert err.crc_variant is None


def test_stream_crc_mismatch_after_good_frame_keeps_the_good_frame() -> None:
    data = APPENDIX_A + APPENDIX_A.replace(b"1C80", b"0000") + APPENDIX_A
    assert reasons(decode_all_ways(data)) == ["frame", "crc_mismatch", "frame"]


def _modbus_frame(swap: bool = False) -> bytes:
    value = crc16_modbus(SEG_A)
    if swap:
        value = ((value & 0xFF) << 8) | (value >> 8)
    return b"##0101" + SEG_A + b"%04X\r\n" % value


@pytest.mark.parametrize("swap", [False, True])
def test_stream_modbus_crc_is_detected_then_accepted_when_enabled(swap: bool) -> None:
    data = _modbus_frame(swap)
    # Given a terminal using CRC-16/MODBUS: by default it is rejected, and the error says why
    items = decode_all_ways(data)
    assert reasons(items) == ["crc_mismatch"] and items[0].crc_variant == "modbus"  # type: ignore[union-attr]
    # When the option is on for this terminal, the frame is accepted and marked
    frame = only_frame(data, accept_modbus_crc=True)
    assert "modbus_crc" in frame.quirks


def test_stream_accept_modbus_can_be_switched_on_a_live_decoder() -> None:
    decoder = StreamDecoder()
    assert reasons(decoder.feed(_modbus_frame())) == ["crc_mismatch"]
    decoder.accept_modbus_crc = True
    assert reasons(decoder.feed(_modbus_frame())) == ["frame"]


def test_stream_wrong_declared_length_is_reported_and_next_frame_recovered() -> None:
    # Given a frame declaring 60 bytes for a 101-byte segment (issue xiaoyao9184#6 style), then a good frame
    bad = b"##0060" + APPENDIX_A[6:]
    items = decode_all_ways(bad + APPENDIX_A)
    # Then bad_length consumes exactly the bad frame, and the good one follows
    assert reasons(items) == ["bad_length", "frame"]
    assert items[0].data == bad  # type: ignore[union-attr]
    assert "declared 60" in items[0].detail  # type: ignore[union-attr]


def test_stream_declared_length_too_long_is_reported_when_the_frame_ends() -> None:
    bad = b"##0150" + APPENDIX_A[6:]
    items = decode_all_ways(bad + APPENDIX_A)
    assert reasons(items) == ["bad_length", "frame"]


def test_stream_char_counted_length_with_chinese_text_is_accepted() -> None:
    # Given the Chinese log frame with its length counted in characters (caoyiliang/HJ212 does this)
    data = golden("2017_3020_chinese_log_info")
    seg = data[6:-6]
    chars = len(seg.decode("utf-8"))
    assert chars < len(seg)
    char_framed = b"##%04d" % chars + data[6:]
    # When decoded
    frame = only_frame(char_framed)
    # Then it is the same frame, marked char_length
    assert "char_length" in frame.quirks
    assert frame.cp.items["i11001"]["Info"] == "清洗管路;更换试剂,校准完成"


def test_stream_length_above_1024_up_to_the_cap_is_accepted() -> None:
    seg = "QN=20260101000000000;ST=32;CN=2051;PW=1;MN=M;Flag=4;CP=&&" + ";".join(
        f"a{i:05d}-Avg={i}" for i in range(150)
    )
    data = encode_frame(seg + "&&")
    assert len(data) > 1024 + 12
    assert len(only_frame(data).cp.items) == 150


def test_stream_declared_length_above_cap_is_oversize_and_resynchronises() -> None:
    data = b"##2000" + b"x" * 20 + APPENDIX_A
    items = decode_all_ways(data, max_frame_length=1500)
    assert reasons(items) == ["oversize", "garbage", "frame"]


def test_stream_buffer_is_bounded_while_waiting_for_a_long_frame() -> None:
    # Given a small buffer and a frame that cannot fit in it
    decoder = StreamDecoder(max_buffer=200)
    big = encode_frame("QN=1;ST=32;CN=2011;CP=&&" + "a" * 400 + "=1&&")
    got: list[object] = []
    for i in range(0, len(big), 10):
        got += decoder.feed(big[i : i + 10])
        # Then the decoder never holds more than the cap (plus one read)
        assert decoder.buffered <= 200 + 10
    got += decoder.close()
    assert "oversize" in reasons(got)  # type: ignore[arg-type]


def test_stream_unending_garbage_is_reported_in_bounded_pieces() -> None:
    decoder = StreamDecoder(max_buffer=1000)
    got = []
    for _ in range(50):
        got += decoder.feed(b"z" * 100)
    got += decoder.close()
    assert all(isinstance(x, DecodeError) and x.reason == "garbage" for x in got)
    assert sum(int(x.detail.split()[0]) for x in got) == 5000  # type: ignore[union-attr]
    assert all(len(x.data) <= 256 for x in got)  # type: ignore[union-attr]
    assert decoder.buffered == 0


def test_stream_eof_inside_a_frame_is_truncated() -> None:
    for cut in (2, 4, 50, len(APPENDIX_A) - 3):
        items = feed_whole(APPENDIX_A[:cut])
        assert reasons(items) == ["truncated"], cut
        assert items[0].data == APPENDIX_A[:cut]  # type: ignore[union-attr]


def test_stream_lone_hash_at_eof_is_garbage() -> None:
    assert reasons(feed_whole(b"#")) == ["garbage"]
    assert reasons(decode_all_ways(APPENDIX_A + b"#")) == ["frame", "garbage"]


def test_stream_crc_mismatch_without_terminator_at_eof_is_reported() -> None:
    data = APPENDIX_A[:-6] + b"0000"
    assert reasons(decode_all_ways(data)) == ["crc_mismatch"]


def test_stream_good_crc_without_cn_is_malformed() -> None:
    data = encode_frame("QN=1;ST=32;PW=1;MN=2;Flag=4;CP=&&a=1&&")
    items = decode_all_ways(data)
    assert reasons(items) == ["malformed"]


def test_stream_good_crc_without_cn_and_without_terminator_waits_then_is_malformed() -> None:
    data = encode_frame("QN=1;ST=32;Flag=4;CP=&&&&")[:-2]
    decoder = StreamDecoder()
    assert decoder.feed(data) == []
    assert reasons(decoder.close()) == ["malformed"]  # type: ignore[arg-type]


def test_stream_good_crc_without_cn_followed_by_junk_is_garbage() -> None:
    data = encode_frame("QN=1;ST=32;Flag=4;CP=&&&&")[:-2] + b"zz"
    assert reasons(decode_all_ways(data)) == ["garbage"]


def test_stream_frame_followed_by_junk_byte_is_accepted_without_terminator() -> None:
    items = decode_all_ways(APPENDIX_A[:-2] + b"zz")
    assert reasons(items) == ["frame", "garbage"]
    assert "no_terminator" in items[0].quirks  # type: ignore[union-attr]


def test_stream_non_utf8_segment_is_decoded_as_gb18030_with_quirk() -> None:
    seg = "QN=1;ST=32;CN=3020;Flag=4;CP=&&i11001-Info=//清洗//&&".encode("gb18030")
    data = b"##%04d" % len(seg) + seg + b"%04X\r\n" % __import__("hj212").crc16(seg)
    frame = only_frame(data)
    assert "not_utf8" in frame.quirks and frame.cp.items["i11001"]["Info"] == "清洗"


def test_stream_misaligned_non_utf8_segment_is_bad_length() -> None:
    seg = "QN=1;ST=32;CN=3020;Flag=4;CP=&&i11001-Info=//清洗//&&".encode("gb18030")
    data = b"##%04d" % (len(seg) - 1) + seg + b"%04X\r\n" % __import__("hj212").crc16(seg)
    assert reasons(decode_all_ways(data)) == ["bad_length"]


def test_stream_misaligned_frame_with_header_inside_is_dropped_bytewise() -> None:
    # Given a broken frame (length off) whose span contains a good frame's header
    data = b"##0020QN=1;CP=&&" + APPENDIX_A
    assert reasons(decode_all_ways(data)) == ["garbage", "frame"]


def test_stream_candidate_with_no_end_in_sight_is_given_up() -> None:
    # Given a header whose frame never ends, followed by far more bytes than any segment could hold
    data = b"##0010" + b"y" * 2000
    assert reasons(decode_all_ways(data)) == ["garbage"]


def test_stream_good_frame_behind_many_false_headers_is_found_before_eof() -> None:
    # Given a false header with a long length, then many short false headers, then a good frame
    data = b"##0900" + b"##0001x" * 40 + APPENDIX_A
    decoder = StreamDecoder()
    # When fed byte by byte, without closing
    got = [x for i in range(len(data)) for x in decoder.feed(data[i : i + 1])]
    # Then the good frame comes out as soon as it is complete
    assert reasons(got) == ["garbage", "frame"]
    assert reasons(decode_all_ways(data)) == ["garbage", "frame"]


def test_stream_close_resets_and_decoder_is_reusable() -> None:
    decoder = StreamDecoder()
    decoder.feed(APPENDIX_A[:30])
    assert reasons(decoder.close()) == ["truncated"]  # type: ignore[arg-type]
    assert reasons(decoder.feed(APPENDIX_A)) == ["frame"]
    assert decoder.feed(b"") == []


def test_stream_options_out_of_range_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        StreamDecoder(max_frame_length=10000)
    with pytest.raises(UsageError):
        StreamDecoder(max_buffer=8)


def test_stream_lf_after_cr_split_across_reads_is_swallowed() -> None:
    decoder = StreamDecoder()
    assert reasons(decoder.feed(APPENDIX_A[:-1])) == ["frame"]
    assert decoder.feed(b"\n" + APPENDIX_A)[0].raw == APPENDIX_A  # type: ignore[union-attr]


def test_stream_swallow_state_ignores_other_bytes() -> None:
    decoder = StreamDecoder()
    decoder.feed(APPENDIX_A[:-2])
    items = decoder.feed(b"Q" + APPENDIX_A)
    assert reasons(items) == ["garbage", "frame"]


def test_stream_two_frames_in_one_read_each_raw_exact() -> None:
    data = APPENDIX_A + golden("2017_2051_qn_after_cn_lf_only")
    items = decode_all_ways(data)
    assert [x.raw for x in items if isinstance(x, Frame)] == [APPENDIX_A, golden("2017_2051_qn_after_cn_lf_only")]


def test_stream_char_counted_length_with_modbus_crc_is_accepted_when_enabled() -> None:
    data = golden("2017_3020_chinese_log_info")
    seg = data[6:-6]
    framed = b"##%04d" % len(seg.decode("utf-8")) + seg + b"%04X\r\n" % crc16_modbus(seg)
    frame = only_frame(framed, accept_modbus_crc=True)
    assert {"char_length", "modbus_crc"} <= frame.quirks


def test_stream_gbk_text_outside_info_is_decoded_without_crashing_the_fast_path() -> None:
    from hj212 import crc16

    seg = "QN=1;ST=32;CN=2011;Flag=4;CP=&&Remark=清洗;a-Rtd=1&&".encode("gb18030")
    data = b"##%04d" % len(seg) + seg + b"%04X\r\n" % crc16(seg)
    for _ in range(3):  # the second sighting of a layout goes through the compiled fast path
        frame = only_frame(data)
        assert frame.cp.scalars["Remark"] == "清洗" and "not_utf8" in frame.quirks


def test_stream_accepts_bytearray_and_memoryview_reads() -> None:
    decoder = StreamDecoder()
    assert reasons(decoder.feed(bytearray(APPENDIX_A[:50]))) == []
    assert reasons(decoder.feed(memoryview(APPENDIX_A)[50:])) == ["frame"]


def test_stream_crlf_of_previous_frame_and_next_frame_in_one_read() -> None:
    decoder = StreamDecoder()
    assert reasons(decoder.feed(APPENDIX_A[:-2])) == ["frame"]
    assert [x.raw for x in decoder.feed(b"\r\n" + APPENDIX_A)] == [APPENDIX_A]  # type: ignore[union-attr]


def test_stream_empty_segment_frame_is_malformed_not_a_crash() -> None:
    assert reasons(decode_all_ways(b"##0000FFFF\r\n")) == ["malformed"]


def test_stream_final_frame_without_end_marker_says_so_instead_of_zero_bytes_short() -> None:
    # Given a last frame whose data area lost its closing `&&` (a forwarder cut it off) but whose header still
    # declares the longer length: every declared byte arrived, so nothing was cut off by the stream's end
    seg = b"QN=20250221141050696;ST=39;CN=2051;PW=123456;MN=LM0001;Flag=4;CP=&&DataTime=20250221140000;a01-Avg=9"
    crc = b"65C0"  # 4 hex digits, but no `&&` precedes them, so they end no segment
    data = b"##%04d" % (len(seg) + 2) + seg + crc + b"\r\n"
    # When the stream ends after it
    items = feed_whole(data)
    # Then it is reported as a length that does not line up, naming the missing end marker
    assert reasons(items) == ["bad_length"]
    error = items[0]
    assert isinstance(error, DecodeError) and error.data == data
    assert error.detail.startswith("no end marker") and "short of" not in error.detail


def test_stream_fast_path_never_raises_hides_junk_or_accepts_an_empty_cn() -> None:
    # Given segments whose defects their shape (the separators) does not show, each decoded three times by one
    # decoder, so that the fast path knows their layout
    decoder = StreamDecoder()
    junk_last = encode_frame("QN=1;ST=32;CN=2051;Flag=4;CP=&&DataTime=1;a-Cou=0.0,a-FlN&&")
    junk_only = encode_frame("QN=1;ST=91;CN=9011;Flag=4;CP=&&QnRt&&")
    empty_cn = encode_frame("QN=1;ST=32;CN=;Flag=5;CP=&&a=1&&")
    for _ in range(3):
        # Then junk after the last separator, or a data area of junk only, is recorded, never dropped or raised
        first, second, third = decoder.feed(junk_last + junk_only + empty_cn)
        assert isinstance(first, Frame) and "cp_junk" in first.quirks and first.cp.items == {"a": {"Cou": "0.0"}}
        assert isinstance(second, Frame) and "cp_junk" in second.quirks
        # And a frame whose CN is empty is malformed every time, not only until its layout is known
        assert isinstance(third, DecodeError) and third.reason == "malformed"
