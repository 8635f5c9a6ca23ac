"""Replies in the dialect of the frame they answer (2017 表C.14, C.1–C.3; 2005 附录C; research §3.1, §5)."""

from __future__ import annotations

import pytest

from hj212 import (
    Version,
    build_frame,
    data_ack,
    decode_frame,
    execution_result,
    notice_reply,
    reply_for,
    request_reply,
)

from .helpers import golden, only_frame

pytestmark = pytest.mark.unit

MN = "010000A8900016F000169DC0"
QN = "20160801085857223"


def _upload(version: Version, ack: bool = True, cn: str = "2051", **kw: object) -> bytes:
    return build_frame(st="32", cn=cn, mn=MN, pw="123456", qn=QN, version=version, ack=ack, **kw)  # type: ignore[arg-type]


def test_data_ack_2017_is_the_golden_9014() -> None:
    assert data_ack(decode_frame(_upload(Version.V2017))) == golden("2017_9014_data_reply")


def test_request_and_execution_replies_2017_are_golden() -> None:
    request = decode_frame(build_frame(st="32", cn="1000", mn=MN, pw="123456", qn=QN, ack=True))
    assert request_reply(request, 1) == golden("2017_9011_request_reply")
    assert execution_result(request, "1") == golden("2017_9012_execution_result")


def test_replies_2025_echo_the_version_bits() -> None:
    frame = decode_frame(_upload(Version.V2025))
    reply = decode_frame(data_ack(frame))
    assert reply.flag == 8 and reply.version is Version.V2025 and reply.qn == QN and not reply.ack_requested
    assert decode_frame(notice_reply(frame)).cn == "9013"


def test_replies_2005_put_qn_inside_cp() -> None:
    frame = only_frame(_upload(Version.V2005))
    ack = decode_frame(data_ack(frame))
    assert ack.segment == f"ST=91;CN=9014;CP=&&QN={QN};CN=2051&&"
    answer = decode_frame(request_reply(frame, 3))
    assert answer.segment == f"ST=91;CN=9011;PW=123456;MN={MN};Flag=0;CP=&&QN={QN};QnRtn=3&&"
    assert decode_frame(notice_reply(frame)).cp.scalars == {"QN": QN}


def test_data_ack_2005_split_packet_names_pno_and_pnum() -> None:
    frame = only_frame(_upload(Version.V2005, pnum=2, pno=1))
    assert decode_frame(data_ack(frame)).cp.scalars == {"QN": QN, "CN": "2051", "PNO": "1", "PNUM": "2"}


def test_data_ack_2005_without_qn_has_only_cn() -> None:
    frame = only_frame(golden("2005_2011_no_qn_no_flag"))
    assert decode_frame(data_ack(frame)).cp.scalars == {"CN": "2011"}


def test_reply_for_upload_with_a_bit_is_9014_with_its_own_qn() -> None:
    split = only_frame(golden("2017_2011_split_packet_1_of_2"))
    reply = reply_for(split)
    assert reply is not None and decode_frame(reply).qn == split.qn and decode_frame(reply).cn == "9014"


@pytest.mark.parametrize(
    ("name", "expected_cn"),
    [
        ("2017_1013_time_calibration_request", "9013"),
        ("2005_2072_alarm_event_notice", "9013"),
        ("2017_2051_qn_after_cn_lf_only", "9014"),
        ("2025_9015_heartbeat", "9014"),
        ("2017_9021_vendor_heartbeat", "9014"),
        ("2017_9014_data_reply", None),
        ("2017_9011_request_reply", None),
        ("2005_2011_no_qn_no_flag", None),
        ("2017_1062_appendix_a", None),
        ("2017_3020_chinese_log_info", None),
    ],
)
def test_reply_for_golden_frames(name: str, expected_cn: str | None) -> None:
    reply = reply_for(only_frame(golden(name)))
    assert (None if reply is None else decode_frame(reply).cn) == expected_cn


@pytest.mark.parametrize(
    "segment",
    [
        "QN=2019\r\n04;ST=32;CN=2051;PW=a&b;MN=q1=0A;Flag=5;CP=&&a=1&&",
        "ST=32;CN=20=51;PW=x;MN=y;Flag=1;PNUM=2;PNO=1;CP=&&a=1&&",
        "QN=1;ST=32;CN=1013;PW=p=w;MN=m;Flag=5;CP=&&&&",
    ],
)
def test_reply_for_echoes_odd_peer_values_verbatim_without_raising(segment: str) -> None:
    from hj212 import encode_frame

    frame = only_frame(encode_frame(segment))
    reply = reply_for(frame)
    assert reply is not None
    answer = decode_frame(reply)
    assert answer.mn == frame.mn or answer.cp.scalars.get("QN") == frame.qn


def test_request_reply_refuses_a_non_numeric_code() -> None:
    from hj212 import UsageError

    frame = decode_frame(golden("2017_1062_appendix_a"))
    with pytest.raises(UsageError):
        request_reply(frame, "1;x")
