"""Split uploads (表C.49/C.50): cutting a long CP into PNUM/PNO packets and reassembling by (MN, CN, DataTime)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hj212 import CP, QnGenerator, Reassembler, UsageError, decode_frame, encode_frame, split_frames

from .helpers import only_frame

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 10, 0, 0)
BIG = {"DataTime": "20261128100000"} | {f"e{i:05d}": {"Avg": f"{i}.123456", "Flag": "N"} for i in range(60)}


def test_split_frames_short_cp_gives_one_unsplit_frame() -> None:
    frames = split_frames(st="32", cn="2051", mn="M", pw="1", cp={"DataTime": "1", "a": {"Avg": "1"}})
    assert len(frames) == 1 and only_frame(frames[0]).pnum is None


def test_split_frames_long_cp_gives_packets_with_own_qn_and_repeated_datatime() -> None:
    frames = split_frames(st="32", cn="2051", mn="M", pw="1", cp=BIG, qn_generator=QnGenerator(), now=NOW, ack=True)
    decoded = [only_frame(f) for f in frames]
    assert len(decoded) > 1
    assert all(len(f) - 12 <= 1024 for f in frames)
    assert [d.pno for d in decoded] == list(range(1, len(decoded) + 1))
    assert {d.pnum for d in decoded} == {len(decoded)}
    assert len({d.qn for d in decoded}) == len(decoded)
    assert all(d.cp.scalars["DataTime"] == "20261128100000" and d.flag == 7 for d in decoded)


def test_reassembler_puts_packets_back_together_in_any_order_and_with_resends() -> None:
    frames = [decode_frame(f) for f in split_frames(st="32", cn="2051", mn="M", pw="1", cp=BIG)]
    r = Reassembler()
    order = list(reversed(frames)) + [frames[-1]]
    results = [r.add(f, NOW) for f in order[:-1]]
    assert results[:-1] == [None] * (len(frames) - 1)
    whole = results[-1]
    assert whole is not None and whole.complete and whole.key == ("M", "2051", "20261128100000")
    assert [p.pno for p in whole.parts] == list(range(1, len(frames) + 1))
    assert whole.cp == CP(BIG_SCALARS, BIG_ITEMS)
    assert len(r) == 0


BIG_SCALARS = {"DataTime": "20261128100000"}
BIG_ITEMS = {k: v for k, v in BIG.items() if isinstance(v, dict)}


def test_reassembler_passes_unsplit_frames_through() -> None:
    frame = decode_frame(split_frames(st="32", cn="2051", mn="M", pw="1", cp={"DataTime": "1"})[0])
    got = Reassembler().add(frame, NOW)
    assert got is not None and got.parts == (frame,) and got.complete


def test_reassembler_gives_up_after_timeout_and_keeps_what_arrived() -> None:
    frames = [decode_frame(f) for f in split_frames(st="32", cn="2051", mn="M", pw="1", cp=BIG)]
    r = Reassembler(timeout=timedelta(seconds=30))
    assert r.add(frames[0], NOW) is None
    assert r.expire(NOW + timedelta(seconds=10)) == []
    late = r.expire(NOW + timedelta(seconds=30))
    assert len(late) == 1 and not late[0].complete and late[0].parts == (frames[0],)
    assert len(r) == 0


def test_reassembler_is_bounded_and_hands_back_evicted_groups() -> None:
    r = Reassembler(max_groups=2)
    for i in range(3):
        cp = dict(BIG, DataTime=f"2026112810{i:02d}00")
        first = decode_frame(split_frames(st="32", cn="2051", mn="M", pw="1", cp=cp)[0])
        assert r.add(first, NOW) is None
    assert len(r) == 2
    evicted = r.expire(NOW)
    assert [e.key[2] for e in evicted] == ["20261128100000"] and not evicted[0].complete


def test_reassembler_new_pnum_for_same_key_starts_a_new_group() -> None:
    frames = [decode_frame(f) for f in split_frames(st="32", cn="2051", mn="M", pw="1", cp=BIG)]
    fewer = [decode_frame(f) for f in split_frames(st="32", cn="2051", mn="M", pw="1", cp=BIG, max_segment=1500)]
    assert len(fewer) != len(frames)
    r = Reassembler()
    r.add(frames[0], NOW)
    r.add(fewer[0], NOW)
    assert len(r.expire(NOW)) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"qn_generator": QnGenerator()},
        {"max_segment": 60},
        {"cp": {"DataTime": "1", "x": {"Info": "y" * 2000}}, "max_segment": 1024},
    ],
)
def test_split_frames_refuses_what_cannot_be_split(kwargs: dict) -> None:
    args = {"st": "32", "cn": "2051", "mn": "M", "pw": "1", "cp": BIG} | kwargs
    with pytest.raises(UsageError):
        split_frames(**args)


def test_split_frames_splits_a_single_oversized_code_by_field() -> None:
    cp = {"DataTime": "1", "big": {f"F{i}": "x" * 50 for i in range(40)}}
    frames = [decode_frame(f) for f in split_frames(st="32", cn="2051", mn="M", pw="1", cp=cp)]
    assert len(frames) > 1
    r = Reassembler()
    results = [r.add(f, NOW) for f in frames]
    assert results[-1] is not None and results[-1].cp.items["big"] == cp["big"]


def test_reassembler_refuses_zero_groups() -> None:
    with pytest.raises(UsageError):
        Reassembler(max_groups=0)


def test_split_frames_accepts_a_cp_object_and_refuses_too_many_packets(monkeypatch: pytest.MonkeyPatch) -> None:
    cp = CP(BIG_SCALARS, BIG_ITEMS)
    frames = split_frames(st="32", cn="2051", mn="M", pw="1", cp=cp)
    assert len(frames) > 2
    monkeypatch.setattr("hj212.split._MAX_PACKETS", 2)
    with pytest.raises(UsageError):
        split_frames(st="32", cn="2051", mn="M", pw="1", cp=cp)


GROUPED = {
    "DataTime": "20261128100000",
    "PolId": [{"PolId": f"w{i:05d}", "i12001": {"Info": "1"}, "i12002": {"Info": "0"}} for i in range(4)],
}


def test_split_frames_sends_a_grouped_cp_whole_and_refuses_to_cut_it() -> None:
    # Given a data area with PolId groups that fits: one frame, every group in it
    frames = split_frames(st="21", cn="3020", mn="M", pw="1", cp=GROUPED, qn_generator=QnGenerator(), now=NOW)
    cp = decode_frame(frames[0]).cp
    assert len(frames) == 1 and [g.value for g in cp.groups] == ["w00000", "w00001", "w00002", "w00003"]
    assert decode_frame(split_frames(st="21", cn="3020", mn="M", pw="1", cp=cp)[0]).cp == cp
    # When it does not fit, it is refused rather than sent without its groups
    with pytest.raises(UsageError, match="groups"):
        split_frames(st="21", cn="3020", mn="M", pw="1", cp=cp, max_segment=150)


def test_reassembler_keeps_every_packets_groups_in_packet_order() -> None:
    # Given an upload of two packets, each holding two PolId groups
    def packet(pno: int, codes: tuple[str, str]) -> bytes:
        groups = ";".join(f"PolId={c},i12001-Info={pno}" for c in codes)
        return encode_frame(f"QN=1;ST=21;CN=3020;PW=1;MN=M;Flag=7;PNUM=2;PNO={pno};CP=&&DataTime=1;{groups}&&")

    r = Reassembler()
    assert r.add(decode_frame(packet(2, ("c", "d"))), NOW) is None
    whole = r.add(decode_frame(packet(1, ("a", "b"))), NOW)
    # Then the joined data area holds all four, packet 1's first
    assert whole is not None and [(g.value, g.items["i12001"]["Info"]) for g in whole.cp.groups] == [
        ("a", "1"),
        ("b", "1"),
        ("c", "2"),
        ("d", "2"),
    ]
