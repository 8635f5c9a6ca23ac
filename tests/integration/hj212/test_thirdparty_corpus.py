"""Frames written by other public HJ 212 projects and a real 2019 receiver log, decoded as the standard wants.

The corpus is data in `../shared/data/hj212_thirdparty/` (its INDEX.md says where each frame comes from and
what HJ 212-2017 makes of it); each line of frames.jsonl carries the verdict (`expect`) this test holds the
decoder to: accepted frames with every header field and every CP value right, CRC-16/MODBUS frames only with
`accept_modbus_crc` (a terminal marked so), wrong CRCs and lengths rejected with the right reason, and the
platform's acknowledgement exactly when the frame asks for one.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from typing import Any

import pytest

from hj212 import CP, DecodeError, Frame, StreamDecoder, decode_frame, reply_for
from tests.support.shared_data import shared_data
from tests.unit.hj212.helpers import Item, feed_chunks, summary

pytestmark = pytest.mark.integration

CORPUS = shared_data("hj212_thirdparty")
ENTRIES: list[dict[str, Any]] = [json.loads(line) for line in (CORPUS / "frames.jsonl").read_text().splitlines()]
REPLAY = (CORPUS / "replay_chaserver_20190507.bin").read_bytes()
REPLAY_META = json.loads((CORPUS / "replay_meta.json").read_text())["replay_chaserver_20190507.bin"]
Pair = tuple[str, str | None, str]


def _decode(raw: bytes, *, modbus: bool = False) -> list[Item]:
    decoder = StreamDecoder(accept_modbus_crc=modbus)
    return decoder.feed(raw) + decoder.close()


def _group_pairs(scalars: Any, items: Any) -> list[Pair]:
    return [(k, None, v) for k, v in scalars.items()] + [
        (code, name, value) for code, fields in items.items() for name, value in fields.items()
    ]


def _pairs(cp: CP) -> list[Pair]:
    """Every value of the data area as (code or scalar name, field or None, value): plain part, then groups."""
    return _group_pairs(cp.scalars, cp.items) + [p for g in cp.groups for p in _group_pairs(g.scalars, g.items)]


def _assert_decoded_right(frame: Frame, expect: dict[str, Any]) -> None:
    got = {k: getattr(frame, k) for k in expect["fields"]}
    assert got == expect["fields"]
    want: list[Pair] = [(code, name, value) for code, name, value in expect["cp_pairs"]]
    # every value, none lost or invented (the plain part's order between scalars and items is not kept)...
    assert Counter(_pairs(frame.cp)) == Counter(want)
    # ...and the groups in the order sent: everything from the first group heading on
    if frame.cp.groups:
        first = want.index((frame.cp.groups[0].name, None, frame.cp.groups[0].value))
        assert [p for g in frame.cp.groups for p in _group_pairs(g.scalars, g.items)] == want[first:]


def _assert_ack(frame: Frame, ack: bool | None, reply_cn: str | None) -> None:
    if ack is None:  # a downlink command or a reply: nothing the platform answers by itself is asserted
        return
    reply = reply_for(frame)
    if not ack:
        assert reply is None
        return
    assert reply is not None
    answer = decode_frame(reply)
    # the reply names the upload by its QN (in the header; a 2005 upload's reply carries it in the CP)
    assert answer.cn == reply_cn and frame.qn in (answer.qn, answer.cp.scalars.get("QN"))


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_thirdparty_frame_is_handled_as_the_standard_wants(entry: dict[str, Any]) -> None:
    raw = base64.b64decode(entry["raw_b64"])
    expect = entry["expect"]
    # When the frame arrives at a terminal's connection with the standard CRC (every terminal by default)
    plain = _decode(raw)
    if expect["decode"] == "ok":
        # Then it is one frame, every field right, answered exactly when it asks to be
        assert len(plain) == 1 and isinstance(plain[0], Frame), plain
        _assert_decoded_right(plain[0], expect)
        assert "modbus_crc" not in plain[0].quirks
        _assert_ack(plain[0], expect["ack"], expect.get("reply_cn"))
    else:
        # Then nothing of it is taken as a frame, and the reason is the one its defect calls for
        assert plain and all(isinstance(x, DecodeError) for x in plain), plain
        reasons = [x.reason for x in plain if isinstance(x, DecodeError)]
        assert set(reasons) & set(expect["reason"]), reasons
        assert set(reasons) <= set(expect["reason"]) | set(expect.get("reason_alt", ())), reasons
        if expect.get("crc_variant") == "modbus":
            assert [x.crc_variant for x in plain if isinstance(x, DecodeError)] == ["modbus"]
    # When the terminal is marked as one that uses CRC-16/MODBUS
    marked = _decode(raw, modbus=True)
    if expect["with_modbus_flag"] == "ok":
        # Then the frame decodes to the same fields and values (standard ones too: the mark only adds MODBUS)
        assert len(marked) == 1 and isinstance(marked[0], Frame), marked
        _assert_decoded_right(marked[0], expect)
        if expect["decode"] == "ok":
            assert summary(marked[0]) == summary(plain[0])
        else:
            assert "modbus_crc" in marked[0].quirks
            _assert_ack(marked[0], expect["ack_if_modbus_enabled"], expect["reply_cn"])
    else:
        assert marked and all(isinstance(x, DecodeError) for x in marked), marked


def test_thirdparty_corpus_covers_every_verdict_of_the_index() -> None:
    # The corpus this test reads is the one INDEX.md describes: 101 frames, each kind of verdict present
    verdicts = Counter(e["analysis"]["standard"] for e in ENTRIES)
    assert sum(verdicts.values()) == 101
    assert set(verdicts) == {"valid", "crc_wrong", "modbus_crc", "bad_length", "char_length_modbus", "not_a_frame"}
    assert len({e["id"] for e in ENTRIES}) == len(ENTRIES)


def _cp_value_count(segment: str) -> int:
    """How many `key=value` the data area holds, counted on the text (only for areas without `//…//` Info)."""
    body = segment.split("CP=&&", 1)[1].rsplit("&&", 1)[0]
    return sum(1 for part in re.split("[;,]", body) if "=" in part)


def test_thirdparty_replay_of_a_real_receiver_log_decodes_every_frame_whole_and_acks_each() -> None:
    # Given the 838 frames two field data loggers sent a receiver on 2019-05-07, in log order
    # When the log is read in 1 KiB reads (as the receiver got it) and, separately, in reads of 7 bytes
    frames = feed_chunks(REPLAY, 1024)
    assert [summary(x) for x in feed_chunks(REPLAY, 7)] == [summary(x) for x in frames]
    # Then every one is a frame, from the two loggers in their numbers
    assert all(isinstance(x, Frame) for x in frames)
    decoded = [x for x in frames if isinstance(x, Frame)]
    assert len(decoded) == REPLAY_META["frames"] == 838
    assert Counter(f.mn for f in decoded) == REPLAY_META["by_mn"]
    # and every one (Flag 5 or 9: A=1) gets its 9014 with its own QN
    for frame in decoded:
        assert frame.ack_requested
        _assert_ack(frame, True, "9014")
    # and no value of any data area is lost: 265 uploads report four instruments as PolId groups, all kept
    grouped = [f for f in decoded if f.cp.groups]
    assert len(grouped) == 265
    assert all(len(f.cp.groups) == f.segment.count("PolId=") == 4 for f in grouped)
    for frame in decoded:
        if "//" not in frame.segment:
            assert len(_pairs(frame.cp)) == _cp_value_count(frame.segment), frame.segment
