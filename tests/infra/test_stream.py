"""Stream: encrypted provisioned Kinesis; Firehose to the locked S3 archive in bounded partitions; colder storage."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_stream_is_encrypted_and_capacity_mode_follows_the_stage(synthesized: Synthesized) -> None:
    # cdk.json: prod is provisioned with 2 shards; the reuse stage keeps the default, one provisioned shard.
    (prod,) = synthesized.properties("prod", "AWS::Kinesis::Stream")
    assert prod["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    assert prod["StreamModeDetails"]["StreamMode"] == "PROVISIONED" and prod["ShardCount"] == 2
    assert prod["RetentionPeriodHours"] == 24  # extended retention costs per shard-hour
    (default,) = synthesized.properties("reuse", "AWS::Kinesis::Stream")
    assert default["StreamModeDetails"]["StreamMode"] == "PROVISIONED" and default["ShardCount"] == 1


def test_firehose_partitions_raw_frames_by_date_and_auth(synthesized: Synthesized) -> None:
    (delivery,) = synthesized.properties("dev", "AWS::KinesisFirehose::DeliveryStream")
    assert delivery["DeliveryStreamType"] == "KinesisStreamAsSource"
    s3 = delivery["ExtendedS3DestinationConfiguration"]
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert s3["Prefix"] == "raw/date=!{partitionKeyFromQuery:date}/auth=!{partitionKeyFromQuery:auth}/"
    processors = {p["Type"]: p for p in s3["ProcessingConfiguration"]["Processors"]}
    params = {p["ParameterName"]: p["ParameterValue"] for p in processors["MetadataExtraction"]["Parameters"]}
    assert set(
        json.loads(_jq(params["MetadataExtractionQuery"], {"received_at": "2026-11-28T10:00:00Z", "mn": "A1"}))
    ) == {"date", "auth"}
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
            {"received_at": "2026-11-28T10:33:46.123456+00:00", "mn": "010000A8900016F0", "auth": "ok"},
            {"date": "2026-11-28", "auth": "ok"},
        ),
        (
            {"received_at": "2026-11-28T23:59:59+00:00", "mn": "../../x/y", "auth": "unregistered"},
            {"date": "2026-11-28", "auth": "unregistered"},
        ),
        (
            {"received_at": "2026-11-29T00:00:01+00:00", "auth": "auth_failed"},
            {"date": "2026-11-29", "auth": "auth_failed"},
        ),
        ({"received_at": "../../etc/passwd", "auth": "ok/../x"}, {"date": "unknown", "auth": "other"}),
        ({"mn": 42, "auth": None}, {"date": "unknown", "auth": "other"}),
    ],
)
def test_partition_keys_take_a_closed_set_of_values(synthesized: Synthesized, record: dict, keys: dict) -> None:
    # Given the query as deployed, When jq runs it on a frame record, Then the keys are a date and a known verdict:
    # no MN and nothing else a peer controls shapes a prefix, so active partitions stay far below Firehose's 500
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


def test_archive_objects_are_locked_per_stage(synthesized: Synthesized) -> None:
    for stage, mode, days in (("prod", "COMPLIANCE", 1095), ("dev", "GOVERNANCE", 1)):
        (archive,) = [b for b in synthesized.properties(stage, "AWS::S3::Bucket") if "ObjectLockConfiguration" in b]
        assert archive["ObjectLockEnabled"] is True
        retention = archive["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
        assert retention == {"Mode": mode, "Days": days}


def _statements(synthesized: Synthesized, stage: str, role_id: str) -> list[dict]:
    return [
        st
        for policy in synthesized.properties(stage, "AWS::IAM::Policy")
        if {"Ref": role_id} in policy["Roles"]
        for st in policy["PolicyDocument"]["Statement"]
    ]


def test_firehose_delivery_role_cannot_delete_or_overwrite_history(synthesized: Synthesized) -> None:
    (delivery,) = synthesized.properties("prod", "AWS::KinesisFirehose::DeliveryStream")
    role = delivery["ExtendedS3DestinationConfiguration"]["RoleARN"]["Fn::GetAtt"][0]
    actions = {
        a
        for st in _statements(synthesized, "prod", role)
        for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    }
    assert {"s3:PutObject", "s3:AbortMultipartUpload", "logs:PutLogEvents", "kms:GenerateDataKey"} <= actions
    assert not [a for a in actions if "Delete" in a or "*" in a or a.startswith("s3:PutObject") and a != "s3:PutObject"]
    # and no other policy gives that role anything (CDK's own read/write/delete grant is dropped)
    roles = synthesized.resources("prod", "AWS::IAM::Role")
    assert "Policies" not in roles[role]["Properties"] and "ManagedPolicyArns" not in roles[role]["Properties"]
    # and the delivery stream is created only once that policy exists (Firehose checks its role on creation)
    (stream_id,) = synthesized.resources("prod", "AWS::KinesisFirehose::DeliveryStream")
    policies = {
        k
        for k, p in synthesized.resources("prod", "AWS::IAM::Policy").items()
        if {"Ref": role} in p["Properties"]["Roles"]
    }
    depends = synthesized.templates["prod"]["Resources"][stream_id]["DependsOn"]
    assert policies and policies <= set(depends)
