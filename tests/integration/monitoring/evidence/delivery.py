"""A scene's frame records delivered to an S3 bucket (moto server on 127.0.0.1) as Firehose writes them, 40 minutes
of receipts per object with another terminal's frames interleaved, each chained as the chain function does."""

from __future__ import annotations

import gzip
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3

from functions.adapters.archive_objects import S3Objects, frames_of
from hj212.contract import FrameRecord
from monitoring.archive.manifest_chain import ChainLinks, ManifestChain
from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.ingest.records import encode_record, parse_record
from tests.conftest import FAKE_AWS_ENV
from tests.support.moto_server import moto_server

REGION = FAKE_AWS_ENV["AWS_REGION"]
BUCKET = "archive"
OTHER = "88888880000099"  # another terminal whose frames share the objects
OBJECT_MINUTES = 40  # each object holds 40 minutes of receipts: a demo alarm's window spans several


@contextmanager
def moto_s3() -> Iterator[tuple[Any, str]]:
    """A client of a fresh moto S3 server with the archive bucket, and the server's URL (AWS_* must be fake)."""
    with moto_server() as url:
        # moto's servers in one process share their state: start from none (an earlier test's bucket)
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30).close()
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=url)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3, url


def _other(at: datetime, n: int) -> bytes:
    raw = b"##0101QN=2026113000%04d000;ST=32;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&P01-Rtd=%d&&ABCD\r\n" % (
        n,
        OTHER.encode(),
        n,
    )
    return encode_record(FrameRecord(OTHER, raw, at, "203.0.113.9:50122", AuthStatus.OK, "hj212", "2011"))


def deliver(s3: Any, links: ChainLinks, records: list[bytes]) -> list[str]:
    """The records in objects by receipt time (gzip JSON lines), each chained; the objects' keys in order."""
    frames = [RawFrame.of(parse_record(r)) for r in records]
    start = min(f.received_at for f in frames)
    buckets: dict[int, list[bytes]] = {}
    for line, frame in zip(records, frames, strict=True):
        index = int((frame.received_at - start) / timedelta(minutes=OBJECT_MINUTES))
        buckets.setdefault(index, []).append(line)
        if len(buckets[index]) % 7 == 0:
            buckets[index].append(_other(frame.received_at, len(buckets[index])))
    chain = ManifestChain(links, S3Objects(s3, BUCKET), frames_of)
    keys = []
    for index in sorted(buckets):
        key = f"raw/date=2026-11-30/auth=ok/frames-1-2026-11-30-{index:02d}-00-00-{uuid.uuid4().hex[:8]}.gz"
        s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"\n".join(buckets[index]) + b"\n"))
        chain.chain(key)
        keys.append(key)
    return keys
