"""Code tables as data (research §2.4–§2.7) and the error types (STYLE.md §7.4)."""

from __future__ import annotations

import pytest

import hj212
from hj212 import CN_CODES, DATA_FLAGS, EXE_RTN, QN_RTN, REASONS, ST_CODES, BadFrameError, HJ212Error, UsageError

pytestmark = pytest.mark.unit


def test_catalogue_has_chinese_names_and_directions() -> None:
    assert ST_CODES["44"].name == "用电监控" and ST_CODES["44"].reported
    assert ST_CODES["91"].name == "系统交互" and ST_CODES["51"].versions == ("2017", "2025")
    assert CN_CODES["9015"].name == "心跳包" and CN_CODES["9015"].kind == "heartbeat"
    assert CN_CODES["1062"].direction == "down" and CN_CODES["1013"].direction == "up"
    assert CN_CODES["2051"].direction == "both"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.name) for c in (*ST_CODES.values(), *CN_CODES.values()))
    assert all(c.direction in {"up", "down", "both"} for c in CN_CODES.values())


def test_catalogue_reply_tables() -> None:
    assert QN_RTN["9"] == "CRC校验错误" and QN_RTN["100"] == "未知错误"
    assert EXE_RTN["100"] == "没有数据" and DATA_FLAGS["N"].endswith("工作正常")
    assert set(DATA_FLAGS) == set("NFMSDCTB")


def test_catalogue_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        CN_CODES["9999"] = CN_CODES["9014"]  # type: ignore[index]


def test_errors_base_is_abstract_and_kinds_carry_reason_and_reply() -> None:
    with pytest.raises(TypeError):
        HJ212Error("x")
    err = BadFrameError("crc_mismatch", "declared 0000", b"##")
    assert isinstance(err, HJ212Error) and err.reply_code == 9 and str(err) == "crc_mismatch: declared 0000"
    assert str(BadFrameError("oversize")) == "oversize"
    assert isinstance(UsageError("x"), ValueError)
    assert {"crc_mismatch", "bad_length", "malformed", "oversize", "garbage", "truncated"} <= set(REASONS)


def test_public_api_exports_exist() -> None:
    for name in hj212.__all__:
        assert hasattr(hj212, name), name
    assert hj212.Version("2017") is hj212.Version.V2017 and hj212.Version.V2025.flag_bits == 8


@pytest.mark.unit
def test_named_command_codes_are_catalogue_entries() -> None:
    names = {k: v for k, v in vars(hj212.CN).items() if k.isupper()}
    assert len(names) == len(set(names.values())) == 26
    assert all(code in hj212.CN_CODES for code in names.values())
    assert hj212.CN.DATA_ACK == "9014" and hj212.CN.REQUEST_REPLY == "9011"
