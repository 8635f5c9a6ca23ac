"""The fast path (fastpath.py): what it declines, when it plans a layout, that its tables are the decoder's own and
bounded, and that it answers exactly as the lenient parser does."""

from __future__ import annotations

import pytest

import hj212.fastpath as fp
from hj212 import CPGroup, LayoutCache, StreamDecoder, encode_frame, parse_segment
from hj212.segment import _split_lenient

pytestmark = pytest.mark.unit


def _warm(seg: str, layouts: LayoutCache | None = None) -> LayoutCache:
    """A cache that has seen `seg` twice (its layout planned, if it can be)."""
    layouts = layouts or LayoutCache()
    for _ in range(2):
        layouts.split(seg)
    return layouts


def test_fast_path_declines_what_it_cannot_mirror() -> None:
    # Each of these goes to the lenient parser (None), which records the deviation.
    for seg in (
        "QN=1;ST=32;CN=2011;CP=&&a=1",  # no closing &&
        "QN=1;ST=32;CN=2011;CP=&& a=1&&",  # spaces
        "QN=1,ST=32;CN=2011;CP=&&a=1&&",  # comma in header
        "QN=1;ST=32;CN=2011;CP=&&a=1;;b=2&&",  # empty part
        "QN=1;ST=32;CN=2011;CP=&&a=1=2;b&&",  # '=' counts balance but a part has none
        "QN=1;ST=32;CN=2011;CP=&&a=1&&b=2&&",  # && inside the data area
        "CP=&&QN=1;ST=32;CN=2011;CP=&&a=1&&",  # CP twice
        "ST=32;CN=2011",  # no CP at all
        "QN=1;ST=32;CN=2011;CP=&&a=1&&junk",  # junk after the closing && (the shape drops letters)
        "QN=1;ST=32;CN=2011;CP=N0&&&&",  # a value for CP (the shape drops it too)
        "QN=1;ST=32;CN=2011;CP=N0&&a=1&&",  # the same before a data area
        "QN=1;ST=91;CN=9011;CP=&&QnRt&&",  # a data area of junk only (no `=`): the shape shows none
        "QN=1;ST=32;CN=2051;CP=&&a-Cou=0,a-FlN&&",  # junk after the last separator: the shape shows `,&&`
        "QN=1;ST=32;CN=2011;XCP=&&a=1&&",  # the data area opened by another name
        "QN=1;ST=32;XCP=5;CN=2011;CP=&&a=1&&",  # another name ending in CP
        "QN=1;ST=32;CN=2011;CP=&&XCP=5&&",  # the same in the data area
        "QN=1;ST=32;Flag=4;CP=&&a=1&&",  # no CN
    ):
        assert _warm(seg).split(seg) is None, seg


def test_fast_path_plans_a_layout_on_its_second_sighting() -> None:
    layouts = LayoutCache()
    seg = "QN=1;ST=32;CN=2011;XQ=5;CP=&&DataTime=1;zz9-Rtd=1,zz9-Flag=N;&&"
    assert layouts.split(seg) is None  # first sight: counted, lenient parser used
    header, scalars, items = layouts.split(seg) or ({}, {}, {})
    assert header["XQ"] == "5" and scalars == {"DataTime": "1"} and items == {"zz9": {"Rtd": "1", "Flag": "N"}}
    empty = "QN=1;ST=32;CN=2011;XQ=6;CP=&&&&"
    assert _warm(empty, layouts).split(empty) == ({"QN": "1", "ST": "32", "CN": "2011", "XQ": "6"}, {}, {})


def test_fast_path_tables_belong_to_one_decoder() -> None:
    # Given a layout one cache has planned (seen twice)
    seg = "QN=1;ST=32;CN=2011;OWNCACHE=1;CP=&&a=1&&"
    first = LayoutCache()
    assert first.split(seg) is None and first.split(seg) is not None
    # Then for another cache it is still a first sighting: what one learns is not the other's
    assert LayoutCache().split(seg) is None
    # And a StreamDecoder keeps its own unless given one
    data = encode_frame("QN=1;ST=32;CN=2011;Flag=4;CP=&&b-Rtd=2&&")
    shared = LayoutCache()
    for _ in range(2):
        StreamDecoder(layouts=shared).feed(data)
    assert shared.frame(data, data[6:-6], data[-6:-2].decode()) is not None
    assert LayoutCache().frame(data, data[6:-6], data[-6:-2].decode()) is None


def test_fast_path_reorders_a_data_area_whose_items_are_interleaved() -> None:
    seg = "QN=1;ST=32;CN=2011;CP=&&a-Rtd=1;DataTime=2;b-Rtd=3;a-Flag=N;b-Flag=D&&"
    assert _warm(seg).split(seg) == (
        {"QN": "1", "ST": "32", "CN": "2011"},
        {"DataTime": "2"},
        {"a": {"Rtd": "1", "Flag": "N"}, "b": {"Rtd": "3", "Flag": "D"}},
    )
    header, cp = _split_lenient(seg, set())
    assert (header, cp.scalars, cp.items) == _warm(seg).split(seg)


def test_fast_path_leaves_repeated_or_empty_names_to_the_lenient_path() -> None:
    for seg in ("QN=1;ST=32;CN=2011;CP=&&a=1;a=2&&", "QN=1;ST=32;CN=2011;CP=&&=1&&", "QN=1;QN=2;CN=2011;CP=&&&&"):
        assert _warm(seg).split(seg) is None
    # a repeated scalar heads groups: neither value is lost, through the fast path's decoder too
    seg = "QN=1;ST=32;CN=2011;CP=&&a=1;a=2&&"
    cp = parse_segment(seg, None, _warm(seg))[10]
    assert cp.scalars == {} and cp.groups == (CPGroup({"a": "1"}), CPGroup({"a": "2"}))


def test_fast_path_tells_an_empty_data_area_from_one_empty_name() -> None:
    layouts = LayoutCache()
    for _ in range(3):
        assert parse_segment("QN=1;ST=32;CN=2011;YY=1;Flag=4;CP=&&&&", None, layouts)[11] == frozenset()
    for _ in range(3):
        assert "cp_junk" in parse_segment("QN=1;ST=32;CN=2011;YY=1;Flag=4;CP=&&=5&&", None, layouts)[11]


def test_fast_path_bookkeeping_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cache whose layout counters and plan table are at their caps
    monkeypatch.setattr(fp, "_MAX_SEEN", 1)
    monkeypatch.setattr(fp, "_MAX_PLANS", 1)
    layouts = _warm("QN=1;ST=32;CN=2011;OLD=1;CP=&&&&")
    layouts.split("QN=1;ST=32;CN=2011;ONCE=1;CP=&&&&")
    # When a new layout arrives, the counters are cleared rather than grown
    seg = "QN=1;ST=32;CN=2011;NEWLAYOUT=1;CP=&&&&"
    assert layouts.split(seg) is None
    assert layouts._seen == {"QN;ST;CN;NEWLAYOUT;CP": True}
    # And when it is planned, the full plan table is emptied first
    assert layouts.split(seg) is not None
    assert list(layouts._plans) == ["QN;ST;CN;NEWLAYOUT;CP"]


def test_fast_path_shape_table_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cache whose table of checked shapes is at its cap
    monkeypatch.setattr(fp, "_MAX_SHAPES", 1)
    layouts = LayoutCache()
    layouts.split("QN=1;CN=2011;CP=&&&&")
    # When a segment of a new shape is checked, the table is emptied rather than grown
    layouts.split("QN=1;ST=32;CN=2011;SHAPECAP=1;CP=&&a=1&&")
    assert layouts._shapes == {b"=;=;=;=;=&&=&&": (4, -2)}
    # And a shape known to be malformed is refused from the table on its next sight
    for _ in range(2):
        assert layouts.split("QN=1;ST=32;CN=2011;CP=&&a=1&&b=2&&") is None
    assert layouts._shapes == {b"=;=;=;=&&=&&=&&": None}


def test_fast_frame_leaves_odd_flags_and_odd_packet_numbers_to_the_general_path() -> None:
    for seg in (
        "QN=1;ST=32;CN=2011;Flag=13;CP=&&a=1&&",  # version bits 3: unknown
        "QN=1;ST=32;CN=2011;Flag=04;CP=&&a=1&&",  # odd spelling
        "QN=1;ST=32;CN=2011;Flag=5;PNUM=2;PNO=1;CP=&&a=1&&",  # packet numbers without the D bit
        "QN=1;ST=32;CN=2011;PNUM=2;PNO=1;CP=&&a=1&&",  # packet numbers without any Flag
        "QN=1;ST=32;CN=2011;Flag=07;PNUM=2;PNO=1;CP=&&a=1&&",  # odd spelling of a split Flag
        "QN=1;ST=32;CN=2011;Flag=7;PNUM=2;CP=&&a=1&&",  # PNUM without PNO
        "QN=1;ST=32;CN=2011;Flag=7;PNO=1;CP=&&a=1&&",  # PNO without PNUM
        "QN=1;ST=32;CN=2011;Flag=7;PNUM=;PNO=1;CP=&&a=1&&",  # empty PNUM
        "QN=1;ST=32;CN=2011;Flag=7;PNUM=2;PNO=x;CP=&&a=1&&",  # PNO not a number
        "QN=1;ST=32;CN=2011;Flag=7;PNUM=\u0663;PNO=1;CP=&&a=1&&",  # a digit, but not an ASCII one
    ):
        data = encode_frame(seg)
        layouts = _warm(seg)
        assert layouts.split(seg) is not None  # the segment itself is well-formed
        assert layouts.frame(data, data[6:-6], data[-6:-2].decode()) is None, seg


def test_fast_frame_takes_a_packet_of_a_split_upload_as_the_general_path_does() -> None:
    from hj212.stream import _make_frame

    for seg in (
        "QN=1;ST=31;CN=2051;PW=1;MN=M1;Flag=7;PNUM=3;PNO=2;CP=&&DataTime=1;a-Avg=1,a-Flag=N&&",
        "ST=31;CN=2051;Flag=2;PNUM=0012;PNO=012;CP=&&DataTime=1&&",  # 2005, no QN, zeros in front
        "QN=1;CN=2051;Flag=11;PNO=1;PNUM=2;CP=&&&&",  # 2025 with A, PNO before PNUM, no ST
    ):
        data = encode_frame(seg)
        layouts = _warm(seg)
        fast = layouts.frame(data, data[6:-6], data[-6:-2].decode())
        assert fast is not None and fast == _make_frame(data, data[6:-6], data[-6:-2], [], None), seg
        assert fast.pnum is not None and fast.pno is not None and fast.flag is not None and fast.flag & 2
