"""Raw archive objects in the format of the Firehose delivery (infra/constructs/stream.py): each stream record's
partition (the jq query's twin), its line (the record's bytes + "\\n"), one gzip object per batch and partition.

More: docs/deploy.md, "Data protection" (the archive writers).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from monitoring.errors import InvalidInputError

RAW_PREFIX = "raw/"  # what notifies the chain function (infra: ARCHIVE_CHAIN_PREFIX)
ERROR_PREFIX = "errors/partitioning-failed/"  # records jq could not partition (Firehose: its error prefix)
SUFFIX = ".jsonl.gz"  # the delivery's file extension
AUTH_VERDICTS = ("ok", "unregistered", "auth_failed")  # stream.AUTH_STATUSES; anything else is "other"
GZIP_LEVEL = 6  # zlib's default: most of level 9's size for about half its CPU
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHARD = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_SEQUENCE = re.compile(r"[0-9]{1,128}")


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One Kinesis record of a batch: its sequence number, arrival (epoch seconds) and data as put."""

    sequence: str
    arrived: float
    data: bytes


@dataclass(frozen=True, slots=True)
class ArchiveObject:
    key: str
    body: bytes  # gzip, deterministic: the same records make the same bytes
    records: int


def partition_of(data: bytes) -> tuple[str, str] | None:
    """(date, auth) as the delivery's jq 1.6 query computes them, or None where jq fails on the record (not JSON,
    or a JSON value that cannot be indexed by name): the UTC date of arrival the listener wrote (else "unknown")
    and the authentication verdict (else "other"). tests/unit/monitoring/archive checks it against jq itself."""
    try:
        doc = json.loads(data.decode("utf-8", errors="replace"))  # NaN, Infinity: jq 1.6 reads them too
    except (ValueError, RecursionError):
        return None
    if doc is None:  # jq: null | .received_at is null
        return "unknown", "other"
    if not isinstance(doc, dict):
        return None
    received, auth = doc.get("received_at"), doc.get("auth")
    date = received[:10] if isinstance(received, str) and _DATE.fullmatch(received[:10]) else "unknown"
    return date, auth if isinstance(auth, str) and auth in AUTH_VERDICTS else "other"


def lines(records: Sequence[StreamRecord]) -> bytes:
    """The delivery's object content: each record's data followed by the appended delimiter, in stream order."""
    return b"".join(r.data + b"\n" for r in records)


def batch_objects(shard: str, records: Sequence[StreamRecord]) -> list[ArchiveObject]:
    """One object per partition of a batch (in the order partitions first appear), keyed by the shard, the batch's
    first and last sequence numbers and the body's SHA-256: a retried batch makes the same keys and bytes."""
    if not _SHARD.fullmatch(shard) or not records:
        raise InvalidInputError(f"archive batch: a shard id and at least one record (got {shard!r})")
    for r in records:
        if not _SEQUENCE.fullmatch(r.sequence):
            raise InvalidInputError(f"archive batch: sequence number {r.sequence[:64]!r} is not digits")
    stem = f"{shard}-{records[0].sequence}-{records[-1].sequence}"
    groups: dict[str, list[StreamRecord]] = {}
    failed: dict[str, list[StreamRecord]] = {}
    for r in records:
        keys = partition_of(r.data)
        if keys is None:
            failed.setdefault(f"{ERROR_PREFIX}date={_utc_date(r.arrived)}/", []).append(r)
        else:
            groups.setdefault(f"{RAW_PREFIX}date={keys[0]}/auth={keys[1]}/", []).append(r)
    out = [_object(prefix, stem, lines(group), len(group)) for prefix, group in groups.items()]
    out += [_object(prefix, stem, error_lines(group), len(group)) for prefix, group in failed.items()]
    return out


def error_lines(records: Sequence[StreamRecord]) -> bytes:
    """Records jq could not partition, one JSON line each with the data in base64 (after Firehose's error records;
    nothing reads them but people)."""
    return b"".join(
        json.dumps(
            {
                "rawData": base64.b64encode(r.data).decode("ascii"),
                "errorCode": "DynamicPartitioning.MetadataExtractionFailed",
                "errorMessage": "not a JSON object",
                "sequenceNumber": r.sequence,
                "approximateArrivalTimestamp": int(r.arrived * 1000),
            },
            separators=(",", ":"),
        ).encode("ascii")
        + b"\n"
        for r in records
    )


def _object(prefix: str, stem: str, content: bytes, records: int) -> ArchiveObject:
    body = gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)
    return ArchiveObject(f"{prefix}{stem}-{hashlib.sha256(body).hexdigest()[:16]}{SUFFIX}", body, records)


def _utc_date(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return "unknown"
