"""Stream: encrypted Kinesis stream; Firehose to the S3 archive partitioned by date and MN; colder storage."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_stream_is_encrypted_and_capacity_mode_follows_the_stage(synthesized: Synthesized) -> None:
    # cdk.json: prod is provisioned with 2 shards; the reuse stage keeps the default, on-demand.
    (prod,) = synthesized.properties("prod", "AWS::Kinesis::Stream")
    assert prod["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    assert prod["StreamModeDetails"]["StreamMode"] == "PROVISIONED" and prod["ShardCount"] == 2
    assert prod["RetentionPeriodHours"] == 24  # extended retention costs per shard-hour
    (default,) = synthesized.properties("reuse", "AWS::Kinesis::Stream")
    assert default["StreamModeDetails"]["StreamMode"] == "ON_DEMAND" and "ShardCount" not in default


def test_firehose_partitions_raw_frames_by_date_and_mn(synthesized: Synthesized) -> None:
    (delivery,) = synthesized.properties("dev", "AWS::KinesisFirehose::DeliveryStream")
    assert delivery["DeliveryStreamType"] == "KinesisStreamAsSource"
    s3 = delivery["ExtendedS3DestinationConfiguration"]
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert "date=!{partitionKeyFromQuery:date}" in s3["Prefix"] and "mn=!{partitionKeyFromQuery:mn}" in s3["Prefix"]
    processors = {p["Type"]: p for p in s3["ProcessingConfiguration"]["Processors"]}
    params = {p["ParameterName"]: p["ParameterValue"] for p in processors["MetadataExtraction"]["Parameters"]}
    assert set(
        json.loads(_jq(params["MetadataExtractionQuery"], {"received_at": "2026-11-28T10:00:00Z", "mn": "A1"}))
    ) == {
        "date",
        "mn",
    }
    assert params["JsonParsingEngine"] == "JQ-1.6"
    assert "AppendDelimiterToRecord" in processors


def _jq(query: str, record: dict) -> str:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    out = subprocess.run(["jq", "-c", query], input=json.dumps(record), capture_output=True, text=True, check=True)
    return out.stdout


@pytest.mark.parametrize(
    ("record", "keys"),
    [
        (
            {"received_at": "2026-11-28T10:33:46.123456+00:00", "mn": "010000A8900016F0"},
            {"date": "2026-11-28", "mn": "010000A8900016F0"},
        ),
        ({"received_at": "2026-11-28T10:33:46+00:00", "mn": "../../x/y"}, {"date": "2026-11-28", "mn": "______x_y"}),
        ({"received_at": "2026-11-28T10:33:46+00:00", "mn": None}, {"date": "2026-11-28", "mn": "none"}),
        ({"mn": 42}, {"date": "unknown", "mn": "42"}),
    ],
)
def test_partition_query_keeps_hostile_mn_out_of_prefixes(synthesized: Synthesized, record: dict, keys: dict) -> None:
    # Given the query as deployed, When jq runs it on a frame record, Then the keys are the date and an inert MN
    (delivery,) = synthesized.properties("dev", "AWS::KinesisFirehose::DeliveryStream")
    processors = delivery["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"]["Processors"]
    (extraction,) = [p for p in processors if p["Type"] == "MetadataExtraction"]
    query = {p["ParameterName"]: p["ParameterValue"] for p in extraction["Parameters"]}["MetadataExtractionQuery"]
    assert json.loads(_jq(query, record)) == keys


def test_archive_is_encrypted_private_versioned_and_moves_to_colder_storage(synthesized: Synthesized) -> None:
    buckets = synthesized.properties("prod", "AWS::S3::Bucket")
    (archive,) = [b for b in buckets if "LifecycleConfiguration" in b and "VersioningConfiguration" in b]
    assert archive["VersioningConfiguration"]["Status"] == "Enabled"
    sse = archive["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] == "aws:kms"
    assert archive["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    (rule,) = archive["LifecycleConfiguration"]["Rules"]
    classes = [t["StorageClass"] for t in rule["Transitions"]]
    assert classes == ["STANDARD_IA", "GLACIER", "DEEP_ARCHIVE"]
    assert "ExpirationInDays" not in rule  # evidence never expires
    assert "LoggingConfiguration" in archive
