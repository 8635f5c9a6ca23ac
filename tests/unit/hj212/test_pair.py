"""Terminal and platform back to back: one case table for encode and decode, and a whole history pull."""

from __future__ import annotations

from datetime import datetime

import pytest

from hj212 import (
    QnGenerator,
    Reassembler,
    Version,
    build_frame,
    commands,
    execution_result,
    reply_for,
    request_reply,
    split_frames,
)

from .helpers import Pair, decode_all_ways

pytestmark = pytest.mark.unit

MN = "010000A8900016F000169DC0"
NOW = datetime(2026, 11, 28, 18, 33, 46, 123000)
POWER = {"DataTime": "20261128183300", "Ia": {"Avg": "12.31", "Flag": "N"}, "EP": {"Cou": "1234.5", "Flag": "N"}}

# (case, fields the terminal sends, CN the platform answers with or None)
CASES = [
    ("2017 minute upload asking for a reply", {"st": "32", "cn": "2051", "ack": True, "cp": POWER}, "9014"),
    ("2017 minute upload without A", {"st": "32", "cn": "2051", "cp": POWER}, None),
    (
        "2025 power real-time data",
        {"st": "44", "cn": "2011", "version": Version.V2025, "ack": True, "cp": POWER},
        "9014",
    ),
    ("2025 heartbeat", {"st": "44", "cn": "9015", "version": Version.V2025, "ack": True}, "9014"),
    (
        "2005 upload asking for a reply",
        {"st": "32", "cn": "2051", "version": Version.V2005, "ack": True, "cp": POWER},
        "9014",
    ),
    ("2005 upload", {"st": "32", "cn": "2011", "version": Version.V2005, "cp": POWER}, None),
    ("2017 time calibration request", {"st": "32", "cn": "1013", "ack": True}, "9013"),
    ("facility status", {"st": "32", "cn": "2021", "ack": True, "cp": {"DataTime": "1", "SB1": {"RS": "1"}}}, "9014"),
]


@pytest.mark.parametrize(("case", "fields", "answer"), CASES, ids=[c[0] for c in CASES])
def test_pair_case_encodes_decodes_and_is_answered_in_its_dialect(case: str, fields: dict, answer: str | None) -> None:
    # Given the terminal's frame
    qn = QnGenerator().next(NOW)
    sent = build_frame(mn=MN, pw="123456", qn=qn, **fields)
    # When the platform decodes it (whole, byte by byte, with trailing bytes)
    (frame,) = decode_all_ways(sent)
    # Then it reads back the fields it was built from
    assert frame.cn == fields["cn"] and frame.st == fields["st"] and frame.mn == MN
    assert frame.version is fields.get("version", Version.V2017)
    assert frame.cp.to_dict() == fields.get("cp", {})
    # And the platform's answer is what the terminal expects, in the same dialect
    pair = Pair()
    frame = pair.to_platform(sent)
    reply = reply_for(frame)
    if answer is None:
        assert reply is None
        return
    assert reply is not None
    got = pair.to_terminal(reply)
    assert got.cn == answer and got.version is frame.version
    assert (got.qn or got.cp.scalars.get("QN")) == qn  # 2005 puts the QN inside CP


def test_pair_history_pull_runs_request_reply_uploads_acks_and_result() -> None:
    # Given a platform that pulls minute data from a terminal (HJ 212-2017 §6.1, 表C.48)
    pair = Pair()
    qns = QnGenerator()
    pull = commands.get_minute_data(
        datetime(2026, 11, 28, 8), datetime(2026, 11, 28, 9), mn=MN, pw="1", qn=qns.next(NOW)
    )
    request = pair.to_terminal(pull)
    assert request.cn == "2051" and request.cp.scalars["BeginTime"] == "20261128080000"
    # When the terminal accepts (9011), uploads split packets asking for acks, then reports success (9012)
    accepted = pair.to_platform(request_reply(request, 1))
    assert accepted.cn == "9011" and accepted.qn == request.qn and accepted.cp.scalars == {"QnRtn": "1"}
    big = {"DataTime": "20261128080000"} | {f"e{i:03d}": {"Avg": f"{i}.5", "Flag": "N"} for i in range(80)}
    terminal_qns = QnGenerator()
    packets = split_frames(st="32", cn="2051", mn=MN, pw="1", cp=big, qn_generator=terminal_qns, now=NOW, ack=True)
    reassembler = Reassembler()
    merged = None
    for packet in packets:
        frame = pair.to_platform(packet)
        ack = reply_for(frame)
        assert ack is not None and pair.to_terminal(ack).qn == frame.qn  # each packet acked with its own QN
        merged = reassembler.add(frame, NOW) or merged
    done = pair.to_platform(execution_result(request, 1))
    # Then the platform holds the whole upload and the result of its request
    assert (
        merged is not None and merged.complete and merged.cp.items == {k: v for k, v in big.items() if k != "DataTime"}
    )
    assert done.cn == "9012" and done.qn == request.qn and done.cp.scalars == {"ExeRtn": "1"}
