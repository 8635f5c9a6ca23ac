"""`python -m functions.restream` (moto S3 + Kinesis): the raw archive's frame records of some days go back into
the frame stream under their MN, byte for byte; what is not a frame record is reported, never put."""

from __future__ import annotations

import gzip
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.restream import main
from iot_ingest.sinks.kinesis import stream_keys

pytestmark = pytest.mark.integration
REGION = "cn-north-1"


def _stream_data(kinesis: Any, stream: str) -> list[tuple[str, bytes]]:
    shard = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return [
        (r["PartitionKey"], r["Data"]) for r in kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    ]


def _record(mn: str | None, n: int) -> bytes:
    doc = {"v": 1, "frame": "IyM=", "received_at": f"2026-11-2{n}T10:00:00.000000+00:00", "mn": mn, "auth": "ok"}
    return json.dumps(doc, separators=(",", ":")).encode()


@pytest.mark.usefixtures("fake_aws_env")
def test_restream_puts_archived_frames_of_the_days_back(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        s3, kinesis = boto3.client("s3", region_name=REGION), boto3.client("kinesis", region_name=REGION)
        s3.create_bucket(Bucket="archive", CreateBucketConfiguration={"LocationConstraint": REGION})
        kinesis.create_stream(StreamName="frames", ShardCount=1)
        # Given objects as Firehose writes them on two days, a day outside the range, and one damaged line
        day1 = [_record("MN1", 7), _record(None, 7)]
        day2 = [_record("MN2", 8), b"not json", _record("MN1", 8)]
        for key, lines in (
            ("raw/date=2026-11-27/auth=ok/a.jsonl.gz", day1),
            ("raw/date=2026-11-28/auth=unregistered/b.jsonl.gz", day2),
            ("raw/date=2026-11-29/auth=ok/c.jsonl.gz", [_record("MN9", 9)]),
        ):
            s3.put_object(Bucket="archive", Key=key, Body=gzip.compress(b"\n".join(lines) + b"\n"))
        args = ["--bucket", "archive", "--stream", "frames", "--from", "2026-11-27", "--to", "2026-11-28"]
        args += ["--groups", "64"]
        # When run as a dry run first, then for real
        assert main([*args, "--region", REGION, "--dry-run"]) == 1
        assert _stream_data(kinesis, "frames") == []
        code = main([*args, "--region", REGION])

        # Then the four frame records of those two days are in the stream, keyed as the listener keys their MN
        def key(mn: str) -> str:
            return stream_keys(mn, 64)[0]

        assert sorted(_stream_data(kinesis, "frames")) == sorted(
            [(key("MN1"), day1[0]), (key("-"), day1[1]), (key("MN2"), day2[0]), (key("MN1"), day2[2])]
        )
        out = capsys.readouterr()
        assert code == 1 and "put back: 4 frame records from 2 objects; skipped: 1" in out.out
        assert "b.jsonl.gz line 2: not a frame record" in out.err


def test_restream_refuses_a_range_that_ends_before_it_starts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--bucket", "a", "--stream", "s", "--from", "2026-11-28", "--to", "2026-11-27"])
    with pytest.raises(SystemExit):
        main(["--bucket", "a", "--stream", "s", "--from", "28.11.2026", "--to", "2026-11-27"])
    assert "not a date" in capsys.readouterr().err
