"""The county host's archiver on DynamoDB Local (the chain's links) and moto's S3 server: raw objects and manifest
links as AWS makes them; a crash anywhere between the first put and the queue's mark loses nothing, forks nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.adapters.archive_objects import S3Objects, frames_of
from local.archive_worker import Archiver
from local.queue import Cut, FrameQueue
from monitoring.archive.manifest_chain import ManifestChain, verify
from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.opener import StoreLocation, open_store_at
from monitoring.storage.ports import Store
from tests.support.dynamodb_tables import REGION, fresh_backend
from tests.support.moto_server import moto_server

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


class Crash(Exception):
    """The process dying at this point (the test goes on as the restarted one)."""


@pytest.fixture
def aws(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[tuple[Store, S3Objects, Any]]:
    with moto_server() as s3_url, fresh_backend(dynamodb_local_url, "arch", env_credentials=True) as backend:
        s3 = boto3.client("s3", endpoint_url=s3_url, region_name=REGION)
        bucket = f"county-archive-{uuid.uuid4().hex[:8]}"  # moto's state is the process's, not the server's
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        store = _store(dynamodb_local_url, backend)
        yield store, S3Objects(s3, bucket), s3
        store.close()


def _store(url: str, backend: DynamoDBBackend) -> Store:
    where = StoreLocation(backend="dynamodb", dynamodb_region=REGION, dynamodb_endpoint=url,
                          table_prefix=backend.table_prefix)  # fmt: skip
    return open_store_at(where)


def _records(n: int, start: int = 0) -> list[dict[str, Any]]:
    out = []
    for i in range(start, start + n):
        mn = f"0100000000000000000{i % 3}"
        raw = b"##0101QN=20261206100000000;ST=32;CN=2051;MN=%s;CP=&&P01-Rtd=%d&&ABCD\r\n" % (mn.encode(), i)
        frame = RawFrame(mn, raw, NOW + timedelta(seconds=i), "203.0.113.7:50122", AuthStatus.OK, "hj212", "2051")
        out.append(frame.to_doc())
    return out


def _archiver(queue: FrameQueue, store: Store, objects: S3Objects) -> Archiver:
    """A new process's archiver: its own chain object (no warm heads)."""
    return Archiver(queue, objects, ManifestChain(store.chain_heads, objects, frames_of), cut_frames=4)


def _versions(s3: Any, objects: S3Objects) -> list[str]:
    listed = s3.list_object_versions(Bucket=objects._bucket, Prefix="raw/")
    return [v["Key"] for v in listed.get("Versions", [])]


def _archived_frames(objects: S3Objects) -> list[bytes]:
    return [f.raw for key in sorted(objects.keys("raw/")) for f in frames_of(key, objects.get(key) or b"")]


def test_frames_become_chained_objects_and_leave_the_queue_once_decoded(
    aws: tuple[Store, S3Objects, Any], tmp_path: Path
) -> None:
    store, objects, _ = aws
    queue = FrameQueue(tmp_path / "queue.db", archive=True)
    queue.append(_records(6))
    queue.done([1, 2, 3, 4, 5, 6])  # decoded: they wait for the archive only
    archiver = _archiver(queue, store, objects)
    archiver.drain()
    result = verify(store.chain_heads, objects, frames_of, delivered="raw/")
    assert result.ok, result.problems
    assert sum(result.frames.values()) == 6 and result.links == 2  # cuts of 4 and 2 frames
    assert queue._conn.execute("SELECT count(*) FROM frames").fetchone()[0] == 0
    queue.close()


@pytest.mark.parametrize("where", ["after the objects are chained", "after the put, before the chain"])
def test_a_crash_before_the_mark_redoes_the_same_cut_without_a_second_object_or_link(
    aws: tuple[Store, S3Objects, Any], tmp_path: Path, where: str
) -> None:
    store, objects, s3 = aws
    queue = FrameQueue(tmp_path / "queue.db", archive=True)
    queue.append(_records(3))
    first = _archiver(queue, store, objects)

    def crash(cut: Cut) -> None:
        raise Crash(json.dumps([cut.first, cut.last]))

    if where == "after the objects are chained":
        first.before_mark = crash
    else:  # the chain function never ran: S3 has the object, the store no link
        first.chain = type("Dead", (), {"chain": lambda self, key: crash(Cut(0, 0, []))})()
    with pytest.raises(Crash):
        first.cut_once()
    queue.close()
    # When the restarted host (new queue connection, new chain) goes on, with more frames arrived meanwhile
    queue = FrameQueue(tmp_path / "queue.db", archive=True)
    queue.append(_records(2, start=3))
    _archiver(queue, store, objects).drain()
    # Then every frame is archived once, each object has one version and one link, and the chain verifies
    result = verify(store.chain_heads, objects, frames_of, delivered="raw/")
    assert result.ok, result.problems
    frames = _archived_frames(objects)
    assert len(frames) == len(set(frames)) == 5
    versions = _versions(s3, objects)
    assert len(versions) == len(set(versions)) == result.links == 2
    assert queue.unarchived()[0] == 0
    queue.close()


def test_without_the_chain_the_worker_only_puts_and_marks_and_chain_archive_chains_later(
    aws: tuple[Store, S3Objects, Any], tmp_path: Path
) -> None:
    # Given the county host's worker (archive_chain=false: the bucket's ChainArchive function chains new objects)
    store, objects, _ = aws
    queue = FrameQueue(tmp_path / "queue.db", archive=True)
    queue.append(_records(5))
    queue.done([1, 2, 3, 4, 5])
    Archiver(queue, objects, None, cut_frames=4).drain()
    # Then the frames are in S3 and leave the queue, with no manifest and no link yet
    frames = _archived_frames(objects)
    assert len(frames) == len(set(frames)) == 5
    assert list(objects.keys("manifests/")) == [] and store.chain_heads.recent(8) == []
    assert queue._conn.execute("SELECT count(*) FROM frames").fetchone()[0] == 0
    # When each object's creation event runs the chain (as ChainArchive does), the chain verifies every frame
    chain = ManifestChain(store.chain_heads, objects, frames_of)
    for key in sorted(objects.keys("raw/")):
        chain.chain(key)
    result = verify(store.chain_heads, objects, frames_of, delivered="raw/")
    assert result.ok, result.problems
    assert sum(result.frames.values()) == 5 and result.links == 2
    queue.close()
