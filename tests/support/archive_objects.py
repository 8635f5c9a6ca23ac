"""An archive bucket in memory (versioned, as the locked bucket is) and delivered objects built as Firehose writes
them, for the manifest chain's unit and contract tests (the integration tests use moto S3)."""

from __future__ import annotations

import gzip
from collections.abc import Sequence

from monitoring.archive.models import RawFrame
from monitoring.ingest.records import encode_record


class VersionedObjects:
    """`ObjectStore` over a dict: every put is a new version, a delete hides the key (a delete marker)."""

    def __init__(self) -> None:
        self.versions: dict[str, list[bytes | None]] = {}
        self.requests: dict[str, int] = {"get": 0, "put": 0, "list": 0}

    def get(self, key: str, version: str | None = None) -> bytes | None:
        self.requests["get"] += 1
        found = self.versions.get(key) or [None]
        return found[int(version)] if version is not None else found[-1]

    def put(self, key: str, data: bytes) -> None:
        self.requests["put"] += 1
        self.versions.setdefault(key, []).append(data)

    def keys(self, prefix: str) -> list[str]:
        self.requests["list"] += 1
        return sorted(k for k, v in self.versions.items() if k.startswith(prefix) and v[-1] is not None)

    def delete(self, key: str) -> None:
        self.versions.setdefault(key, []).append(None)


def delivered(frames: Sequence[RawFrame]) -> bytes:
    """An object's bytes as Firehose delivers them: gzip of the frame records' JSON lines."""
    return gzip.compress(b"".join(encode_record(f) + b"\n" for f in frames))
