"""The frame record (contracts.md §2): one JSON object per frame the listener acknowledged or archived.

Records cross a process boundary (Kinesis, or in-process in local mode) and are validated here like any
outside input: `parse_record` returns a `FrameRecord` (defined in `hj212.contract`, shared with the listener) or
raises `InvalidInputError` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hj212.contract import RECORD_VERSION, AuthStatus
from hj212.contract import FrameRecord as FrameRecord  # defined once for listener and domain
from monitoring.archive.models import MAX_FRAME_BYTES, UNKNOWN_MN
from monitoring.errors import InvalidInputError

_MAX_TEXT = 128
_CRC_KINDS = ("hj212", "modbus")


def parse_record(data: bytes | str | Mapping[str, Any]) -> FrameRecord:
    """Validate one frame record (JSON bytes/text or an already-decoded mapping)."""
    doc: Any = data
    if isinstance(data, bytes | str):
        try:
            doc = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"frame record: not JSON ({exc})") from exc
    if not isinstance(doc, Mapping):
        raise InvalidInputError("frame record: must be a JSON object")
    if doc.get("v") != RECORD_VERSION:
        raise InvalidInputError(f"frame record: v must be {RECORD_VERSION}, got {doc.get('v')!r}")
    frame = _frame(doc.get("frame"))
    received_at = _time(doc.get("received_at"))
    auth_text = _text(doc, "auth", required=True)
    try:
        auth = AuthStatus(auth_text)
    except ValueError as exc:
        raise InvalidInputError(
            f"frame record: auth must be one of ok/unregistered/auth_failed, got {auth_text!r}"
        ) from exc
    crc = _text(doc, "crc") or "hj212"
    if crc not in _CRC_KINDS:
        raise InvalidInputError(f"frame record: crc must be hj212 or modbus, got {crc!r}")
    mn = _text(doc, "mn") or UNKNOWN_MN
    return FrameRecord(
        raw=frame,
        received_at=received_at,
        peer=_text(doc, "peer"),
        mn=mn,
        cn=_text(doc, "cn"),
        qn=_text(doc, "qn"),
        listener=_text(doc, "listener"),
        session=_text(doc, "session"),
        auth=auth,
        crc=crc,
    )


def encode_record(record: FrameRecord) -> bytes:
    """The JSON bytes of a record (what the listener puts on the stream; used by tests and local mode)."""
    return json.dumps(record.to_doc(), separators=(",", ":")).encode("ascii")


def kinesis_event(records: Sequence[bytes], *, shard: str = "shardId-000000000000") -> dict[str, Any]:
    """A Kinesis-shaped Lambda event carrying encoded frame records (local mode calls the handler with it).

    Sequence numbers are the records' positions, zero-padded so they sort like Kinesis's own.
    """
    out = []
    for i, data in enumerate(records):
        try:
            key = str(json.loads(data).get("mn") or UNKNOWN_MN)
        except (ValueError, AttributeError):
            key = UNKNOWN_MN
        seq = f"{i:056d}"
        out.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": key,
                    "sequenceNumber": seq,
                    "data": base64.b64encode(data).decode("ascii"),
                    "approximateArrivalTimestamp": 0.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{seq}",
                "eventName": "aws:kinesis:record",
            }
        )
    return {"Records": out}


def _text(doc: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = doc.get(key)
    if value is None:
        if required:
            raise InvalidInputError(f"frame record: {key} is required")
        return ""
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise InvalidInputError(f"frame record: {key} must be a string of at most {_MAX_TEXT} characters")
    return value


def _frame(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidInputError("frame record: frame must be base64 text")
    if len(value) > (MAX_FRAME_BYTES * 4) // 3 + 4:
        raise InvalidInputError(f"frame record: frame is larger than {MAX_FRAME_BYTES} bytes")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInputError("frame record: frame is not valid base64") from exc
    if not raw or len(raw) > MAX_FRAME_BYTES:
        raise InvalidInputError(f"frame record: frame must be 1..{MAX_FRAME_BYTES} bytes")
    return raw


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidInputError("frame record: received_at must be an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"frame record: received_at is not ISO-8601: {value!r}") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInputError("frame record: received_at must carry a UTC offset")
    return parsed.astimezone(UTC)
