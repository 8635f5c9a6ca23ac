"""Downlink request builders (HJ 212-2017 表9): each one decodes back to its CN and CP; bad values refused."""

from __future__ import annotations

from datetime import datetime

import pytest

from hj212 import UsageError, Version, commands, decode_frame

from .helpers import golden

pytestmark = pytest.mark.unit

MN = "010000A8900016F000169DC0"
QN = "20160801085857223"
T0 = datetime(2026, 11, 28, 8, 0, 0)
T1 = datetime(2026, 11, 28, 9, 0, 0)
KW = {"mn": MN, "pw": "123456", "qn": QN}


def test_set_rtd_interval_is_the_appendix_a_frame() -> None:
    assert commands.set_rtd_interval(30, mn=MN, pw="100000", qn=QN) == golden("2017_1062_appendix_a")


def test_set_timeout_retry_is_the_golden_1000() -> None:
    assert commands.set_timeout_retry(5, 3, **KW) == golden("2017_1000_set_timeout_retry")


@pytest.mark.parametrize(
    ("build", "cn", "cp"),
    [
        (lambda: commands.get_field_time(**KW), "1011", {}),
        (lambda: commands.get_field_time(polid="w01018", **KW), "1011", {"PolId": "w01018"}),
        (lambda: commands.set_field_time(T0, **KW), "1012", {"SystemTime": "20261128080000"}),
        (lambda: commands.get_rtd_interval(**KW), "1061", {}),
        (lambda: commands.get_min_interval(**KW), "1063", {}),
        (lambda: commands.set_min_interval(10, **KW), "1064", {"MinInterval": "10"}),
        (lambda: commands.set_password("654321", **KW), "1072", {"NewPW": "654321"}),
        (lambda: commands.start_realtime_data(**KW), "2011", {}),
        (lambda: commands.stop_realtime_data(**KW), "2012", {}),
        (lambda: commands.start_facility_status(**KW), "2021", {}),
        (lambda: commands.stop_facility_status(**KW), "2022", {}),
        (
            lambda: commands.get_day_data(T0, T1, **KW),
            "2031",
            {"BeginTime": "20261128080000", "EndTime": "20261128090000"},
        ),
        (
            lambda: commands.get_facility_runtime_days(T0, T1, **KW),
            "2041",
            {"BeginTime": "20261128080000", "EndTime": "20261128090000"},
        ),
        (
            lambda: commands.get_minute_data(T0, T1, **KW),
            "2051",
            {"BeginTime": "20261128080000", "EndTime": "20261128090000"},
        ),
        (
            lambda: commands.get_hour_data(T0, T1, **KW),
            "2061",
            {"BeginTime": "20261128080000", "EndTime": "20261128090000"},
        ),
        (lambda: commands.get_instrument_sn("w01018", **KW), "3019", {"PolId": "w01018"}),
        (lambda: commands.get_field_info("w01018", "i12001", **KW), "3020", {"PolId": "w01018", "InfoId": "i12001"}),
        (
            lambda: commands.get_field_info("w01018", "i11001", begin=T0, end=T1, **KW),
            "3020",
            {"PolId": "w01018", "InfoId": "i11001", "BeginTime": "20261128080000", "EndTime": "20261128090000"},
        ),
    ],
)
def test_command_builder_decodes_to_its_cn_and_cp(build, cn: str, cp: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    frame = decode_frame(build())
    assert frame.cn == cn and frame.cp.scalars == cp and frame.qn == QN and frame.mn == MN
    assert frame.flag == 5 and frame.ack_requested


def test_set_field_params_sends_info_items() -> None:
    frame = decode_frame(commands.set_field_params("w01018", {"i13004": "120", "i13005": "备注;x"}, **KW))
    assert frame.cn == "3021" and frame.cp.scalars == {"PolId": "w01018"}
    assert frame.cp.items == {"i13004": {"Info": "120"}, "i13005": {"Info": "备注;x"}}


def test_commands_take_version_st_and_ack() -> None:
    frame = decode_frame(commands.get_min_interval(st="44", version=Version.V2025, ack=False, **KW))
    assert frame.st == "44" and frame.flag == 8


@pytest.mark.parametrize(
    "build",
    [
        lambda: commands.set_timeout_retry(0, 3, **KW),
        lambda: commands.set_timeout_retry(5, 100, **KW),
        lambda: commands.set_rtd_interval(29, **KW),
        lambda: commands.set_min_interval(7, **KW),
        lambda: commands.set_password("", **KW),
        lambda: commands.set_password("a;b", **KW),
        lambda: commands.get_minute_data(T1, T0, **KW),
        lambda: commands.get_field_info("w01018", "i11001", begin=T0, **KW),
        lambda: commands.get_field_info("w01018", "i11001", begin=T1, end=T0, **KW),
        lambda: commands.set_field_params("w01018", {}, **KW),
        lambda: commands.get_rtd_interval(mn=MN, pw="1", qn="123"),
    ],
)
def test_command_builders_refuse_bad_values(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError):
        build()


def test_the_request_table_builds_each_cn_with_its_envelope() -> None:
    # One envelope for every builder: st, version and ack reach the header whichever builder is picked by CN.
    args = {
        "1000": (5, 3),
        "1012": (T0,),
        "1062": (60,),
        "1064": (5,),
        "1072": ("654321",),
        "3019": ("w01018",),
        "3020": ("w01018", "i12001"),
        "3021": ("w01018", {"i13004": "1"}),
    }
    for cn, build in commands.REQUESTS.items():
        span = (T0, T1) if cn in commands.HISTORY_CNS.values() else ()
        frame = decode_frame(build(*args.get(cn, span), st="44", version=Version.V2025, ack=False, **KW))
        assert (frame.cn, frame.st, frame.version, frame.ack_requested, frame.mn) == (
            cn,
            "44",
            Version.V2025,
            False,
            MN,
        )
    assert len(commands.REQUESTS) == 19
