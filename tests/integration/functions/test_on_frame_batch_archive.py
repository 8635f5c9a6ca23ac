"""The Lambda archive writer on moto S3 (a versioned bucket with Object Lock): a Kinesis batch becomes one object
per partition whose content is what the Firehose delivery writes (tests/fixtures/archive/firehose_objects.json,
derived with jq 1.6 from stream.py's query), a retried batch writes nothing new, and the chain takes the objects."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions import on_archive_object, on_frame_batch_archive, verify_archive
from functions.adapters.archive_objects import parse_object
from monitoring.archive.models import RawFrame
from monitoring.ingest.records import parse_record
from monitoring.storage.ports import Store
from tests.integration.functions.conftest import LambdaContext
from tests.support.locked_bucket import create_locked_bucket

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fake_aws_env")]
REGION = "cn-north-1"
BUCKET = "archive"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EVENT = json.loads((FIXTURES / "events" / "kinesis_frame_batch_archive.json").read_text(encoding="utf-8"))
GOLDEN = json.loads((FIXTURES / "archive" / "firehose_objects.json").read_text(encoding="utf-8"))
SHARD = "shardId-000000000003"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(on_frame_batch_archive.BUCKET_VARIABLE, BUCKET)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        create_locked_bucket(client, BUCKET)
        on_frame_batch_archive._bucket.clear()  # a new cold start inside the mock
        yield client
        on_frame_batch_archive._bucket.clear()


def _versions(s3: Any, prefix: str) -> list[tuple[str, bytes]]:
    listed = s3.list_object_versions(Bucket=BUCKET, Prefix=prefix).get("Versions", [])
    return [
        (v["Key"], s3.get_object(Bucket=BUCKET, Key=v["Key"], VersionId=v["VersionId"])["Body"].read())
        for v in sorted(listed, key=lambda v: v["Key"])
    ]


def test_a_batch_becomes_the_objects_firehose_writes_one_per_partition(s3: Any, lambda_context: LambdaContext) -> None:
    result = on_frame_batch_archive.handler(EVENT, lambda_context)
    assert result == {"objects": 5, "written": 5, "records": 8}
    stored = dict(_versions(s3, "raw/"))
    by_prefix = {key.rsplit("/", 1)[0] + "/": (key, body) for key, body in stored.items()}
    # the same prefixes as the delivery's, each object's content byte for byte the delivery's before GZIP
    assert len(by_prefix) == len(stored) == len(GOLDEN["objects"])
    for expected in GOLDEN["objects"]:
        key, body = by_prefix[expected["prefix"]]
        assert gzip.decompress(body) == expected["content"].encode("utf-8")
        first, last = (
            EVENT["Records"][0]["kinesis"]["sequenceNumber"],
            EVENT["Records"][-1]["kinesis"]["sequenceNumber"],
        )
        assert key.startswith(f"{expected['prefix']}{SHARD}-{first}-{last}-") and key.endswith(".jsonl.gz")
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert head["ObjectLockMode"] == "GOVERNANCE"  # the bucket's default retention
    # the chain's parser reads the listener's frame records back exactly, in stream order
    key, body = by_prefix["raw/date=2026-11-28/auth=ok/"]
    parsed = parse_object(key, body)
    datas = [base64.b64decode(r["kinesis"]["data"]) for r in EVENT["Records"]]
    assert parsed.frames == [RawFrame.of(parse_record(datas[i])) for i in (0, 2, 6)] and not parsed.skipped
    # the record jq cannot read is kept under the error prefix, not dropped
    ((_, failed),) = _versions(s3, "errors/")
    (line,) = gzip.decompress(failed).splitlines()
    assert [base64.b64decode(json.loads(line)["rawData"])] == [datas[i] for i in GOLDEN["failed"]]


def test_a_retried_batch_writes_no_second_object_or_version(s3: Any, lambda_context: LambdaContext) -> None:
    on_frame_batch_archive.handler(EVENT, lambda_context)
    before = _versions(s3, "")
    again = on_frame_batch_archive.handler(EVENT, lambda_context)
    assert again == {"objects": 5, "written": 0, "records": 8}
    assert _versions(s3, "") == before  # no new key, no new version of any key
    # a bisected retry (the first half alone) is other records: its own objects, the earlier ones untouched
    half = {"Records": EVENT["Records"][:4]}
    assert on_frame_batch_archive.handler(half, lambda_context)["written"] == 3
    assert len(_versions(s3, "")) == len(before) + 3


def test_the_chain_function_takes_the_written_objects(
    s3: Any, wired_store: Store, lambda_context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    on_frame_batch_archive.handler(EVENT, lambda_context)
    keys = [key for key, _ in _versions(s3, "raw/")]
    event = {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": k.replace("=", "%3D")}}} for k in keys]}
    assert on_archive_object.handler(event, lambda_context) == {"objects": 4, "records": 5}
    links = wired_store.chain_heads.links()
    assert sorted(link.object_key for link in links) == sorted(keys)
    assert verify_archive.main(["--bucket", BUCKET, "--mn", "88888880000001"]) == 0
    assert "88888880000001: 完整，2 帧核对一致" in capsys.readouterr().out
