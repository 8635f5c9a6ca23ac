"""The chain function on moto S3: delivered objects extend each MN's chain in delivery order, a redelivered event
adds nothing, and an object rewritten afterwards is caught at the altered frame's position."""

from __future__ import annotations

import gzip
import hashlib
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions import on_archive_object, verify_archive
from functions.adapters.archive_objects import frames_reader
from hj212.contract import FrameRecord
from monitoring.archive.delivered import DeliveredObject
from monitoring.archive.models import AuthStatus
from monitoring.ingest.records import encode_record
from monitoring.storage.ports import Store
from tests.integration.functions.conftest import NOW, LambdaContext

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fake_aws_env")]
REGION = "cn-north-1"
BUCKET = "archive"


def _line(mn: str, n: int, value: int | None = None) -> bytes:
    raw = b"##0101QN=2026112810%02d00000;ST=32;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&P01-Rtd=%d&&ABCD\r\n" % (
        n,
        mn.encode(),
        n if value is None else value,
    )
    record = FrameRecord(mn, raw, NOW + timedelta(seconds=n), "203.0.113.7:50122", AuthStatus.OK, "hj212", "2011")
    return encode_record(record)


def _event(*keys: str) -> dict[str, Any]:
    # S3 URL-encodes keys in event notifications ("=" as %3D)
    return {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": k.replace("=", "%3D")}}} for k in keys]}


def _put(s3: Any, key: str, lines: list[bytes]) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"\n".join(lines) + b"\n"))


def test_delivered_objects_extend_the_chains_idempotently_and_a_rewrite_is_caught(
    wired_store: Store, lambda_context: LambdaContext
) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True
        )
        # Given two objects as Firehose delivers them: two terminals interleaved, and a line that is no record
        a = "raw/date=2026-11-28/auth=ok/frames-1-2026-11-28-10-00-00-a.gz"
        b = "raw/date=2026-11-28/auth=ok/frames-1-2026-11-28-10-15-00-b.gz"
        a_lines = [_line("MN01", 1), _line("MN02", 1), b"not a record", _line("MN01", 2)]
        b_lines = [_line("MN02", 3), _line("MN01", 3), _line("MN01", 4), _line("MN02", 4)]
        _put(s3, a, a_lines)
        _put(s3, b, b_lines)
        # When S3 notifies the function of each, then redelivers both events
        first = on_archive_object.handler(_event(a), lambda_context)
        second = on_archive_object.handler(_event(b), lambda_context)
        again = on_archive_object.handler(_event(a, b), lambda_context)
        chains = wired_store.chain_heads
        # Then each MN's chain holds its frames in delivery order, one segment per object, nothing twice
        assert (first, second, again) == (
            {"objects": 1, "records": 3},
            {"objects": 1, "records": 4},
            {"objects": 2, "records": 7},
        )
        assert [(s.object_key, s.first_seq, s.last_seq) for s in chains.segments("MN01")] == [(a, 1, 2), (b, 3, 4)]
        assert [(s.first_seq, s.last_seq) for s in chains.segments("MN02")] == [(1, 1), (2, 3)]
        stored = s3.get_object(Bucket=BUCKET, Key=b)["Body"].read()
        assert chains.delivered(b) == DeliveredObject(b, hashlib.sha256(stored).hexdigest(), 4, 2)
        assert chains.verify("MN01", frames_reader(s3, BUCKET)).ok
        # When object b is rewritten (a new version) with MN01's 4th frame altered
        tampered = list(b_lines)
        assert tampered[2] == _line("MN01", 4)
        tampered[2] = _line("MN01", 4, value=9)
        _put(s3, b, tampered)
        # Then verification names MN01's seq 4 and leaves MN02's chain intact
        broken = chains.verify("MN01", frames_reader(s3, BUCKET))
        assert (broken.ok, broken.first_broken_seq, broken.checked) == (False, 4, 3)
        assert chains.verify("MN02", frames_reader(s3, BUCKET)).ok


def test_verify_archive_names_the_broken_terminal_and_position(
    wired_store: Store, lambda_context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        key = "raw/date=2026-11-28/auth=ok/c.gz"
        _put(s3, key, [_line("MN01", 1), _line("MN02", 1), _line("MN01", 2)])
        on_archive_object.handler(_event(key), lambda_context)
        assert verify_archive.main(["--bucket", BUCKET, "--mn", "MN01", "--mn", "MN02"]) == 0
        # the object loses MN01's second frame
        _put(s3, key, [_line("MN01", 1), _line("MN02", 1)])
        code = verify_archive.main(["--bucket", BUCKET, "--mn", "MN01", "--mn", "MN02"])
        out = capsys.readouterr().out
        assert code == 1
        assert "MN01: 在第 2 帧处断开（record missing from the object），此前 1 帧完整" in out
        assert "MN02: 完整，1 帧" in out
