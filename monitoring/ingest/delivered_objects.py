"""The frame records of a delivered archive object (Firehose → S3: gzip JSON lines), in delivery order: what the
manifest chain hashes and an evidence export reads back."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

from monitoring.archive.manifest import sha256
from monitoring.archive.models import RawFrame
from monitoring.errors import InvalidInputError
from monitoring.ingest.records import parse_record


@dataclass
class DeliveredFrames:
    """An object's SHA-256 (of its bytes as stored), its frame records in order, and its lines that are not."""

    digest: str
    frames: list[RawFrame] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def body_of(key: str, stored: bytes) -> bytes:
    """The JSON lines of stored bytes (gunzipped when the key ends in .gz); InvalidInputError if not gzip."""
    try:
        return gzip.decompress(stored) if key.endswith(".gz") else stored
    except (OSError, EOFError, zlib.error) as exc:
        raise InvalidInputError(f"{key}: not gzip ({exc})") from exc


def parse_object(key: str, stored: bytes) -> DeliveredFrames:
    """The frame records of an object's bytes; a line that is no frame record is skipped and named (it is then
    off every chain, which verification reports as a missing record if it was one)."""
    out = DeliveredFrames(sha256(stored))
    try:
        body = body_of(key, stored)
    except InvalidInputError as exc:
        out.skipped.append(str(exc))
        return out
    for n, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.frames.append(RawFrame.of(parse_record(line)))
        except InvalidInputError as exc:
            out.skipped.append(f"{key} line {n}: {exc}")
    return out


def frames_of(key: str, body: bytes) -> list[RawFrame]:
    """The frame records of a delivered object's bytes (lines that are none are left out, and so fail the
    object's manifest check if they were altered)."""
    return parse_object(key, body).frames
