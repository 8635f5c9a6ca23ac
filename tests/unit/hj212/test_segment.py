"""Header and CP parsing: the deviations of research §2.1, §2.2, §5 and §7 (fed through the stream decoder)."""

from __future__ import annotations

import pytest

from hj212 import CP, BadFrameError, CPGroup, UsageError, Version, encode_cp, encode_frame, parse_segment

from .helpers import golden, only_frame

pytestmark = pytest.mark.unit


def _frame(segment: str):  # type: ignore[no-untyped-def]
    return only_frame(encode_frame(segment))


def test_segment_2005_upload_without_qn_and_flag_is_version_2005_without_ack() -> None:
    frame = only_frame(golden("2005_2011_no_qn_no_flag"))
    assert frame.version is Version.V2005 and frame.qn is None and frame.flag is None
    assert not frame.ack_requested
    assert {"missing_qn", "missing_flag"} <= frame.quirks
    # DataTime with 17 digits is kept as given; 3-char 2005 codes are opaque keys
    assert frame.cp.scalars["DataTime"] == "20160824003817000"
    assert frame.cp.items["011"] == {"Rtd": "231.0", "Flag": "N"}
    assert frame.cp.items["B01"] == {"Rtd": "36.91"}


def test_segment_fields_in_any_order_and_long_ids_are_opaque() -> None:
    frame = only_frame(golden("2017_2051_qn_after_cn_lf_only"))
    assert frame.qn == "20190424002721168" and frame.cn == "2051" and frame.mn == "23040281003022"
    assert list(frame.header)[:3] == ["ST", "CN", "QN"]
    long_pw = only_frame(golden("2017_2061_air_hourly_long_pw"))
    assert long_pw.pw == "BF470F88957588DE902D1A52" and long_pw.mn == "Z13401000010301"


@pytest.mark.parametrize(
    ("flag", "version", "ack", "split"),
    [
        (0, "2005", False, False),
        (1, "2005", True, False),
        (3, "2005", True, True),
        (4, "2017", False, False),
        (5, "2017", True, False),
        (7, "2017", True, True),
        (8, "2025", False, False),
        (9, "2025", True, False),
    ],
)
def test_segment_flag_bits_give_version_and_ack(flag: int, version: str, ack: bool, split: bool) -> None:
    pn = "PNUM=2;PNO=1;" if split else ""
    frame = _frame(f"QN=20260101000000000;ST=32;CN=2011;PW=1;MN=M;Flag={flag};{pn}CP=&&&&")
    assert frame.version == version and frame.ack_requested is ack
    assert frame.pnum == (2 if split else None) and frame.pno == (1 if split else None)


def test_segment_unknown_version_bits_map_to_latest_with_quirk() -> None:
    frame = _frame("QN=1;ST=32;CN=2011;Flag=13;CP=&&&&")
    assert frame.version is Version.V2025 and "unknown_version" in frame.quirks and frame.ack_requested


def test_segment_flag_7_without_pnum_and_pnum_without_flag_are_quirks() -> None:
    # teafull/hjt212 testdata: Flag=7 without PNUM; guocay: PNO/PNUM without Flag
    assert "split_flag_without_pnum" in _frame("QN=1;ST=22;CN=2011;Flag=7;CP=&&a-Rtd=1&&").quirks
    frame = _frame("ST=32;CN=2011;PNO=0002;PNUM=0002;CP=&&&&")
    assert frame.pnum == 2 and frame.pno == 2 and "pnum_without_split_flag" in frame.quirks


def test_segment_non_numeric_flag_pnum_pno_are_quirks_not_errors() -> None:
    frame = _frame("QN=1;ST=32;CN=2011;Flag=x;PNUM=a;PNO=b;CP=&&&&")
    assert frame.flag is None and frame.version is Version.V2005
    assert {"bad_flag", "bad_pnum", "bad_pno"} <= frame.quirks
    assert "missing_flag" not in frame.quirks


def test_segment_appendix_typos_are_tolerated() -> None:
    # 表C.22 `QN=…534,ST=32` and 表C.19 `Flag=5CP=&&`
    comma = _frame("QN=20160801085857534,ST=32;CN=2011;PW=1;MN=M;Flag=5;CP=&&&&")
    assert comma.qn == "20160801085857534" and comma.st == "32" and "comma_in_header" in comma.quirks
    glued = _frame("QN=1;ST=32;CN=1062;PW=1;MN=M;Flag=5CP=&&RtdInterval=30&&")
    assert glued.flag == 5 and glued.cp.scalars == {"RtdInterval": "30"}


def test_segment_spaces_and_trailing_separators_are_stripped() -> None:
    frame = _frame("QN=1; ST = 32 ;CN=2011;CP=&& PolId=w01018 ; a34001-Rtd = 217 ,a34001-Flag=N;&&")
    assert frame.st == "32" and frame.cp.scalars == {"PolId": "w01018"}
    assert frame.cp.items == {"a34001": {"Rtd": "217", "Flag": "N"}}
    assert frame.quirks == {"missing_flag"}


def test_segment_unknown_codes_and_field_typos_are_kept_as_given() -> None:
    frame = _frame("QN=1;ST=32;CN=2011;RF=1;CP=&&pms_rules-Rtd=1;LA-td=2;CONC=3;S03-Rtd=4&&")
    assert frame.header["RF"] == "1"
    assert frame.cp.items == {"pms_rules": {"Rtd": "1"}, "LA": {"td": "2"}, "S03": {"Rtd": "4"}}
    assert frame.cp.scalars == {"CONC": "3"}


def test_segment_info_values_may_hold_separators_and_chinese() -> None:
    frame = only_frame(golden("2017_3020_chinese_log_info"))
    assert frame.cp.items["i11001"]["Info"] == "清洗管路;更换试剂,校准完成"
    assert frame.cp.scalars == {"DataTime": "20160801085857", "PolId": "w01018"}


def test_segment_info_then_more_fields_and_slashes_inside() -> None:
    frame = _frame("QN=1;ST=32;CN=3020;CP=&&i1-Info=//a//b;c//,i1-Flag=N;x=1//2;i2-Info=//x=y//&&")
    assert frame.cp.items["i1"] == {"Info": "a//b;c", "Flag": "N"}
    assert frame.cp.scalars == {"x": "1//2"} and frame.cp.items["i2"] == {"Info": "x=y"}


def test_segment_unterminated_info_takes_the_rest() -> None:
    frame = _frame("QN=1;ST=32;CN=3020;CP=&&DataTime=1;i1-Info=//abc;def&&")
    assert frame.cp.items["i1"]["Info"] == "abc;def" and "info_unterminated" in frame.quirks


def test_segment_junk_in_cp_and_header_is_recorded() -> None:
    frame = _frame("QN=1;junk;ST=32;CN=2011;CP=&&a=1;oops;=2;b-Rtd=3&&")
    assert {"header_junk", "cp_junk"} <= frame.quirks
    assert frame.cp.scalars == {"a": "1"} and frame.cp.items == {"b": {"Rtd": "3"}}
    info = _frame("QN=1;ST=32;CN=3020;CP=&&zz;i1-Info=//a//;yy;=//b//&&")
    assert "cp_junk" in info.quirks and info.cp.items == {"i1": {"Info": "a"}}


def test_segment_duplicate_header_field_last_wins_with_quirk() -> None:
    frame = _frame("QN=1;ST=32;CN=2011;ST=31;CP=&&&&")
    assert frame.st == "31" and "duplicate_field" in frame.quirks


def test_segment_missing_or_unterminated_cp_is_tolerated() -> None:
    assert "missing_cp" in _frame("QN=1;ST=32;CN=9015;Flag=9").quirks
    frame = _frame("QN=1;ST=32;CN=2011;CP=&&a=1")
    assert "cp_unterminated" in frame.quirks and frame.cp.scalars == {"a": "1"}
    tail = _frame("QN=1;ST=32;CN=2011;CP=&&a=1&&xyz")
    assert "cp_junk" in tail.quirks


def test_segment_missing_st_is_a_quirk_and_missing_cn_is_malformed() -> None:
    assert "missing_st" in _frame("QN=1;CN=2011;CP=&&&&").quirks
    with pytest.raises(BadFrameError) as exc:
        parse_segment("QN=1;ST=32;CP=&&&&")
    assert exc.value.reason == "malformed" and exc.value.reply_code == 100


def test_segment_2005_reply_keeps_qn_and_cn_inside_cp() -> None:
    header, qn, *_rest, cp, _quirks = parse_segment("ST=91;CN=9014;CP=&&QN=20040516010101001;CN=2051&&")
    assert qn is None and cp.scalars == {"QN": "20040516010101001", "CN": "2051"}


def test_encode_cp_orders_scalars_then_codes_and_wraps_info() -> None:
    cp = {"DataTime": "20260101000000", "Ia": {"Rtd": "1.5", "Flag": "N"}, "i11001": {"Info": "清洗;管路"}}
    assert encode_cp(cp) == "DataTime=20260101000000;Ia-Rtd=1.5,Ia-Flag=N;i11001-Info=//清洗;管路//"
    assert encode_cp(CP({"a": "1"}, {"b": {"c": "2"}})) == "a=1;b-c=2"
    assert encode_cp("a=1;b=2") == "a=1;b=2"
    assert encode_cp({"i1": {"Info": "12"}}) == "i1-Info=12"
    # a value starting with // is wrapped too, so that it reads back exactly
    assert encode_cp({"i1": {"Info": "//x//"}}) == "i1-Info=////x////"
    assert encode_cp({"a": "//"}) == "a=//////"
    for value in ("//", "//x", "a//", "/", "x//y", "// padded //"):
        seg = "QN=1;ST=32;CN=3020;CP=&&" + encode_cp({"a": value, "i1": {"Info": value}}) + "&&"
        cp = parse_segment(seg)[10]
        assert cp.scalars["a"] == value and cp.items["i1"]["Info"] == value, value


@pytest.mark.parametrize(
    "bad",
    [
        {"a": "1;2"},
        {"a": " 1"},
        {"a;b": "1"},
        {"": "1"},
        {"a-b": "1"},
        {"c": {}},
        {"c": {"Info": "a//;b"}},
        {"c": {"Info": "a// ,b"}},
        {"c": {"Info": "a&&b"}},
        {"c": {"Info": "//a\n//"}},
        "a=1&&",
        "a=1\r\n",
    ],
)
def test_encode_cp_refuses_what_would_break_the_frame(bad: object) -> None:
    with pytest.raises(UsageError):
        encode_cp(bad)  # type: ignore[arg-type]


def test_cp_to_dict_merges_scalars_and_items() -> None:
    assert CP({"a": "1"}, {"b": {"c": "2"}}).to_dict() == {"a": "1", "b": {"c": "2"}}


def test_segment_junk_after_the_last_info_item_is_recorded() -> None:
    frame = _frame("QN=1;ST=32;CN=3020;CP=&&i1-Info=//a;b//;junk&&")
    assert frame.cp.items == {"i1": {"Info": "a;b"}} and "cp_junk" in frame.quirks


# A data logger reporting four instruments in one CN=3020 (the shape of a real 2019 capture, values our own).
GROUPED_3020 = (
    "QN=20260507002451828;ST=21;CN=3020;PW=624930;MN=LOGGER01;Flag=9;CP=&&DataTime=20260507002451;"
    "PolId=w01019,i12001-Info=1,i12002-Info=0;PolId=w21001,i12001-Info=6,i12002-Info=0;"
    "PolId=w21003,i12001-Info=1,i12002-Info=2;PolId=w21011,i12001-Info=3,i12002-Info=0&&"
)
GROUPS_3020 = (
    CPGroup({"PolId": "w01019"}, {"i12001": {"Info": "1"}, "i12002": {"Info": "0"}}),
    CPGroup({"PolId": "w21001"}, {"i12001": {"Info": "6"}, "i12002": {"Info": "0"}}),
    CPGroup({"PolId": "w21003"}, {"i12001": {"Info": "1"}, "i12002": {"Info": "2"}}),
    CPGroup({"PolId": "w21011"}, {"i12001": {"Info": "3"}, "i12002": {"Info": "0"}}),
)


def test_segment_repeated_polid_groups_are_all_kept_in_order() -> None:
    # Given a 3020 upload with four `PolId=…,i12001-Info=…,i12002-Info=…` groups, decoded twice so that the
    # fast path has seen its layout
    for _ in range(3):
        frame = only_frame(encode_frame(GROUPED_3020))
        # Then every group is there, in order, with its own values; nothing is flagged
        assert frame.cp.groups == GROUPS_3020
        assert frame.cp.scalars == {"DataTime": "20260507002451"} and frame.cp.items == {}
        assert frame.quirks == frozenset()
    codes = ("w01019", "w21001", "w21003", "w21011")
    assert [(g.name, g.value) for g in frame.cp.groups] == [("PolId", c) for c in codes]


def test_segment_groups_separated_by_semicolons_with_items_before_and_info_text() -> None:
    # Given groups written with `;` only, a plain item before the first group and an Info text holding `;`
    seg = (
        "QN=1;ST=32;CN=3020;CP=&&DataTime=20260101000000;Ua01-Rtd=230.1;PolId=CH01;InfoId=i12001;i12001-Info=0;"
        "PolId=CH02;InfoId=i11001;i11001-Info=//掉电;复电//&&"
    )
    cp = _frame(seg).cp
    # Then what precedes the first PolId stays plain, and each group holds everything up to the next PolId
    assert cp.scalars == {"DataTime": "20260101000000"} and cp.items == {"Ua01": {"Rtd": "230.1"}}
    assert cp.groups == (
        CPGroup({"PolId": "CH01", "InfoId": "i12001"}, {"i12001": {"Info": "0"}}),
        CPGroup({"PolId": "CH02", "InfoId": "i11001"}, {"i11001": {"Info": "掉电;复电"}}),
    )


def test_segment_single_polid_stays_a_plain_scalar() -> None:
    cp = _frame("QN=1;ST=32;CN=3020;CP=&&DataTime=20260101000000;PolId=w01018,i12001-Info=0&&").cp
    assert cp.groups == () and cp.scalars == {"DataTime": "20260101000000", "PolId": "w01018"}
    assert cp.items == {"i12001": {"Info": "0"}}


def test_encode_cp_writes_groups_that_read_back_as_they_were() -> None:
    cp = _frame(GROUPED_3020).cp
    text = encode_cp(cp)
    assert text == GROUPED_3020.split("CP=&&")[1][:-2]
    assert encode_cp(cp.to_dict()) == text
    assert cp.to_dict()["PolId"] == [g.to_dict() for g in GROUPS_3020]
    assert GROUPS_3020[0].to_dict() == {"PolId": "w01019", "i12001": {"Info": "1"}, "i12002": {"Info": "0"}}
    # a group given as a mapping may hold further scalars; its heading is written first
    given = {"PolId": [{"InfoId": "i12001", "PolId": "a"}, {"PolId": "b", "i1": {"Info": "2"}}]}
    assert encode_cp(given) == "PolId=a,InfoId=i12001;PolId=b,i1-Info=2"


@pytest.mark.parametrize(
    "bad",
    [
        CP({}, {}, (GROUPS_3020[0],)),  # one group reads back as plain scalars
        CP({}, {}, (GROUPS_3020[0], CPGroup({"InfoId": "x"}))),  # two headings
        CP({"PolId": "z"}, {}, GROUPS_3020),  # the heading also used as a plain scalar
        CP({}, {}, (CPGroup({}), CPGroup({}))),  # no heading
        {"PolId": ["w01019", "w21001"]},  # groups must be mappings
        {"PolId": [{"InfoId": "x"}, {"PolId": "b"}]},  # each holding the heading
        {"PolId": [{"PolId": "a", "x": [{"y": "1"}]}, {"PolId": "b"}]},  # no groups inside groups
    ],
)
def test_encode_cp_refuses_groups_that_would_not_read_back(bad: object) -> None:
    with pytest.raises(UsageError):
        encode_cp(bad)  # type: ignore[arg-type]
