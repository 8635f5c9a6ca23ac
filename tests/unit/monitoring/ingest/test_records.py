"""parse_record: the frame record of contracts.md §2 is validated like any outside input."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hj212.contract import FrameRecord
from monitoring.archive.models import UNKNOWN_MN, AuthStatus, RawFrame
from monitoring.errors import InvalidInputError
from monitoring.ingest.records import encode_record, parse_record

pytestmark = pytest.mark.unit

GOOD: dict[str, Any] = {
    "v": 1,
    "frame": base64.b64encode(b"##0001x0000\r\n").decode(),
    "received_at": "2026-11-28T18:33:46.123456+08:00",
    "peer": "203.0.113.7:50122",
    "mn": "010000A8900016F000169DC0",
    "cn": "2051",
    "qn": "20261128183346123",
    "listener": "task-1",
    "session": "s-9",
    "auth": "ok",
    "crc": "hj212",
}


def test_parse_record_with_valid_json_returns_utc_record() -> None:
    record = parse_record(json.dumps(GOOD).encode())
    assert record.received_at == datetime(2026, 11, 28, 10, 33, 46, 123456, tzinfo=UTC)
    assert record.auth is AuthStatus.OK and record.raw == b"##0001x0000\r\n"
    assert parse_record(encode_record(record)) == record


def test_parse_record_without_mn_uses_unknown_chain() -> None:
    assert parse_record({**GOOD, "mn": None}).mn == UNKNOWN_MN


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"v": 2}, "v must be 1"),
        ({"frame": "!!!"}, "base64"),
        ({"frame": ""}, "base64 text"),
        ({"frame": base64.b64encode(b"x" * 20_000).decode()}, "larger"),
        ({"received_at": "2026-11-28T10:33:46"}, "UTC offset"),
        ({"received_at": "yesterday"}, "ISO-8601"),
        ({"auth": "maybe"}, "auth must be"),
        ({"auth": None}, "auth is required"),
        ({"crc": "crc32"}, "crc must be"),
        ({"peer": 7}, "peer must be a string"),
        ({"session": "x" * 500}, "session must be a string"),
    ],
)
def test_parse_record_with_bad_field_names_it(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_record({**GOOD, **patch})


@pytest.mark.parametrize("data", [b"\xff\xfe", b"[1, 2]", "null", b"{"])
def test_parse_record_with_non_object_is_rejected(data: bytes | str) -> None:
    with pytest.raises(InvalidInputError):
        parse_record(data)


def test_the_archive_keeps_the_frame_record_itself() -> None:
    # One definition of the ten fields (hj212.contract): the archived frame is the record, checked, and writes the
    # same JSON back, so re-decoding an archived frame needs no conversion.
    record = parse_record(GOOD)
    archived = RawFrame.of(record)
    assert isinstance(archived, FrameRecord) and RawFrame.of(archived) is archived
    assert archived.to_doc() == record.to_doc() and archived.dedupe_key.startswith(GOOD["mn"])
    assert json.loads(encode_record(archived)) == {**GOOD, "received_at": "2026-11-28T10:33:46.123456+00:00"}
