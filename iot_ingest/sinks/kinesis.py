"""A FrameSink that writes frame records to a Kinesis data stream with PutRecords, keyed by the MN's group.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from iot_ingest.ports import FrameRecord, SinkError
from iot_ingest.put_log import PutLog

log = logging.getLogger(__name__)

MAX_RECORDS = 500
MAX_BYTES = 5 * 1024 * 1024
UNKNOWN_MN = "-"  # grouped like an MN: a record without MN (Kinesis needs a non-empty key)
HASH_SPACE = 2**128  # Kinesis maps a record's hash key into [0, 2^128) and each shard owns a range of it
MAX_GROUPS = 100_000  # group keys are g0 … g99999 (monitoring/rules/decode_watermark.py reads up to six digits)


def group_of(mn: str, groups: int) -> int:
    """The MN's stream group: stable across processes and releases (not Python's salted hash)."""
    digest = hashlib.blake2b(mn.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % groups


def stream_keys(mn: str, groups: int) -> tuple[str, str]:
    """(partition key, explicit hash key) of the MN's records. Every record of an MN has one key, so it stays on one
    shard and in one decode lane, in order. Group k is put at the middle of the k-th of `groups` equal slices of
    the hash space: the groups spread evenly over shards that split it evenly (as CreateStream and
    UpdateShardCount make them) whenever `groups` is a multiple of the shard count."""
    k = group_of(mn, groups)
    return f"g{k}", str((2 * k + 1) * HASH_SPACE // (2 * groups))


def _chunks(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for entry in entries:
        entry_size = len(entry["Data"]) + len(entry["PartitionKey"].encode())  # the hash key is not counted
        if chunks[-1] and (len(chunks[-1]) >= MAX_RECORDS or size + entry_size > MAX_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += entry_size
    return [c for c in chunks if c]


class KinesisSink:
    """PutRecords batches with per-record retry; raises SinkError when records still fail after `max_attempts`.
    Records are keyed by their MN's group of `groups` (`stream_keys`), so decode notes its progress per group."""

    def __init__(
        self,
        stream: str,
        *,
        groups: int = 64,
        client: Any = None,
        max_attempts: int = 5,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        put_log: PutLog | None = None,
    ) -> None:
        if not 1 <= groups <= MAX_GROUPS:
            raise ValueError(f"stream groups must be 1-{MAX_GROUPS}, not {groups}")
        self.stream = stream
        self.groups = groups
        self.client = client or boto3.client(
            "kinesis", config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=5)
        )
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.put_log = put_log  # what went in, per group, for the task's put notes (monitoring/rules/put_notes.py)

    def _put_chunk(self, entries: list[dict[str, Any]]) -> None:
        todo = entries
        for attempt in range(1, self.max_attempts + 1):
            at = self.put_log.clock() if self.put_log is not None else 0.0
            try:
                response = self.client.put_records(StreamName=self.stream, Records=todo)
            except (ClientError, BotoCoreError) as exc:
                failed, reason = todo, repr(exc)
            else:
                results = response.get("Records", [])
                failed = [e for e, r in zip(todo, results, strict=True) if r.get("ErrorCode")]
                reason = next((r["ErrorCode"] for r in results if r.get("ErrorCode")), "")
                if self.put_log is not None:
                    went = (e["PartitionKey"] for e, r in zip(todo, results, strict=True) if not r.get("ErrorCode"))
                    self.put_log.went_in(at, went)
            if not failed:
                return
            if attempt == self.max_attempts:
                raise SinkError(
                    f"kinesis {self.stream}: {len(failed)} records failed after {attempt} attempts: {reason}"
                )
            delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            log.warning(
                "kinesis put partially failed; retrying",
                extra={"fields": {"failed": len(failed), "attempt": attempt, "reason": reason, "delay": delay}},
            )
            self.sleep(delay)
            todo = failed

    def put_sync(self, records: Sequence[FrameRecord]) -> None:
        """Blocking put of all records (used from a worker thread)."""
        entries = []
        for r in records:
            key, hash_key = stream_keys(str(r.get("mn") or UNKNOWN_MN), self.groups)
            data = json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode()
            entries.append({"Data": data, "PartitionKey": key, "ExplicitHashKey": hash_key})
        started = self.put_log.begin() if self.put_log is not None else None
        try:
            for chunk in _chunks(entries):
                self._put_chunk(chunk)
        finally:
            if self.put_log is not None and started is not None:
                self.put_log.end(started)

    async def put(self, records: Sequence[FrameRecord]) -> None:
        if records:
            await asyncio.get_running_loop().run_in_executor(None, self.put_sync, records)

    async def close(self) -> None:
        return None
