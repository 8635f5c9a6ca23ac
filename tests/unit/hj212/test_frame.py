"""decode_frame / encode_frame / build_frame (HJ 212-2017 表2, 表3; golden values of research §4.4)."""

from __future__ import annotations

import pytest

from hj212 import CP, BadFrameError, UsageError, Version, build_frame, build_segment, decode_frame, encode_frame

from .helpers import golden, only_frame

pytestmark = pytest.mark.unit

MN = "010000A8900016F000169DC0"
QN = "20160801085857223"


def test_build_frame_reproduces_the_appendix_a_example() -> None:
    frame = build_frame(st="32", cn="1062", mn=MN, pw="100000", qn=QN, ack=True, cp={"RtdInterval": "30"})
    assert frame == golden("2017_1062_appendix_a")


@pytest.mark.parametrize(
    ("name", "cn", "cp", "flag_args"),
    [
        ("2017_1000_set_timeout_retry", "1000", {"OverTime": "5", "ReCount": "3"}, {"ack": True}),
        ("2017_9014_data_reply", "9014", {}, {}),
        ("2017_9011_request_reply", "9011", {"QnRtn": "1"}, {}),
        ("2017_9012_execution_result", "9012", {"ExeRtn": "1"}, {}),
    ],
)
def test_build_frame_matches_reference_golden_values(name: str, cn: str, cp: dict[str, str], flag_args: dict) -> None:
    st = "91" if cn.startswith("90") else "32"
    assert build_frame(st=st, cn=cn, mn=MN, pw="123456", qn=QN, cp=cp, **flag_args) == golden(name)


def test_build_frame_flag_carries_version_split_and_ack_bits() -> None:
    for version, ack, split, flag in [
        (Version.V2005, False, False, 0),
        (Version.V2005, True, True, 3),
        (Version.V2017, True, True, 7),
        (Version.V2025, True, False, 9),
    ]:
        pn = {"pnum": 2, "pno": 1} if split else {}
        frame = only_frame(build_frame(st="32", cn="2011", mn="M", pw="1", version=version, ack=ack, **pn))
        assert frame.flag == flag and frame.version is version


def test_build_frame_explicit_flag_and_extra_header_are_kept() -> None:
    raw = build_frame(st="32", cn="2011", mn="M", pw="1", qn=QN, flag=8, extra_header={"RF": "1"})
    frame = only_frame(raw)
    assert frame.flag == 8 and frame.header["RF"] == "1"
    assert frame.segment.index("RF=1") < frame.segment.index("CP=&&")


def test_build_segment_leaves_out_none_fields_and_flag_on_request() -> None:
    seg = build_segment(st="91", cn="9014", mn=None, pw=None, include_flag=False, cp={"QN": QN, "CN": "2051"})
    assert seg == f"ST=91;CN=9014;CP=&&QN={QN};CN=2051&&"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pnum": 2},
        {"pnum": 2, "pno": 3},
        {"pnum": 10000, "pno": 1},
        {"flag": 256},
        {"flag": -1},
        {"mn": "a;b"},
        {"pw": "x=y"},
        {"extra_header": {"CP": "1"}},
        {"extra_header": {"a b": "1"}},
        {"extra_header": {"RF": "1,2"}},
    ],
)
def test_build_frame_refuses_fields_that_cannot_be_encoded(kwargs: dict) -> None:
    fields = {"st": "32", "cn": "2011", "mn": "M", "pw": "1"} | kwargs
    with pytest.raises(UsageError):
        build_frame(**fields)


def test_encode_frame_counts_utf8_bytes_and_refuses_oversize() -> None:
    frame = encode_frame("CN=1;CP=&&i-Info=//中//&&")
    assert frame.startswith(b"##0026") and frame.endswith(b"\r\n")
    assert encode_frame(b"CN=1;CP=&&&&") == encode_frame("CN=1;CP=&&&&")
    with pytest.raises(UsageError):
        encode_frame("x" * 10000)


def test_decode_frame_returns_the_frame_with_or_without_terminator() -> None:
    data = golden("2017_1062_appendix_a")
    assert decode_frame(data).cn == "1062"
    assert decode_frame(data[:-2]).raw == data[:-2]


@pytest.mark.parametrize(
    ("data", "reason", "reply_code"),
    [
        (golden("2005_2011_crc_mismatch"), "crc_mismatch", 9),
        (b"", "truncated", 100),
        (b"##01", "truncated", 100),
        (b"hello", "garbage", 100),
        (golden("2017_1062_appendix_a") + b"x", "trailing_bytes", 100),
        (golden("2017_1062_appendix_a") * 2, "trailing_bytes", 100),
        (b"##0060" + golden("2017_1062_appendix_a")[6:], "bad_length", 100),
        (encode_frame("ST=32;CP=&&&&"), "malformed", 100),
    ],
)
def test_decode_frame_raises_bad_frame_with_reason(data: bytes, reason: str, reply_code: int) -> None:
    with pytest.raises(BadFrameError) as exc:
        decode_frame(data)
    assert exc.value.reason == reason and exc.value.reply_code == reply_code


def test_decode_frame_accepts_modbus_only_when_asked() -> None:
    from hj212 import crc16_modbus

    seg = golden("2017_1062_appendix_a")[6:-6]
    data = b"##0101" + seg + b"%04X" % crc16_modbus(seg)
    with pytest.raises(BadFrameError):
        decode_frame(data)
    assert "modbus_crc" in decode_frame(data, accept_modbus_crc=True).quirks


def test_build_frame_accepts_cp_object_and_text() -> None:
    a = build_frame(st="32", cn="2011", mn="M", pw="1", cp=CP({"DataTime": "1"}, {"x": {"Rtd": "2"}}))
    b = build_frame(st="32", cn="2011", mn="M", pw="1", cp="DataTime=1;x-Rtd=2")
    assert a == b
