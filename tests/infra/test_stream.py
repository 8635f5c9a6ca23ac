"""Stream: encrypted provisioned Kinesis; Firehose to the locked S3 archive in bounded partitions; colder storage."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.settings import StageSettings
from monitoring.archive.raw_objects import ERROR_PREFIX, RAW_PREFIX
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
FIREHOSE = "reuse"  # the stage left at the default archive_writer = "firehose" (dev, prod, county: "lambda")


def test_stream_is_encrypted_and_capacity_mode_follows_the_stage(synthesized: Synthesized) -> None:
    # cdk.json: prod is provisioned with 2 shards; the reuse stage keeps the default, one provisioned shard.
    (prod,) = synthesized.properties("prod", "AWS::Kinesis::Stream")
    assert prod["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    assert prod["StreamModeDetails"]["StreamMode"] == "PROVISIONED" and prod["ShardCount"] == 2
    assert prod["RetentionPeriodHours"] == 24  # extended retention costs per shard-hour
    (default,) = synthesized.properties("reuse", "AWS::Kinesis::Stream")
    assert default["StreamModeDetails"]["StreamMode"] == "PROVISIONED" and default["ShardCount"] == 1


def test_firehose_partitions_raw_frames_by_date_and_auth(synthesized: Synthesized) -> None:
    (delivery,) = synthesized.properties(FIREHOSE, "AWS::KinesisFirehose::DeliveryStream")
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


def _jq(query: str, record: dict | bytes) -> str:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    data = record if isinstance(record, bytes) else json.dumps(record).encode()
    out = subprocess.run(["jq", "-c", query], input=data, capture_output=True, check=True)
    return out.stdout.decode()


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
    (delivery,) = synthesized.properties(FIREHOSE, "AWS::KinesisFirehose::DeliveryStream")
    processors = delivery["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"]["Processors"]
    (extraction,) = [p for p in processors if p["Type"] == "MetadataExtraction"]
    query = {p["ParameterName"]: p["ParameterValue"] for p in extraction["Parameters"]}["MetadataExtractionQuery"]
    assert json.loads(_jq(query, record)) == keys


def test_archive_is_encrypted_private_versioned_and_moves_to_colder_storage(synthesized: Synthesized) -> None:
    buckets = synthesized.properties("prod", "AWS::S3::Bucket")
    (archive,) = [b for b in buckets if "ObjectLockConfiguration" in b]
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
    (delivery,) = synthesized.properties(FIREHOSE, "AWS::KinesisFirehose::DeliveryStream")
    role = delivery["ExtendedS3DestinationConfiguration"]["RoleARN"]["Fn::GetAtt"][0]
    actions = {
        a
        for st in _statements(synthesized, FIREHOSE, role)
        for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    }
    assert {"s3:PutObject", "s3:AbortMultipartUpload", "logs:PutLogEvents", "kms:GenerateDataKey"} <= actions
    assert not [a for a in actions if "Delete" in a or "*" in a or a.startswith("s3:PutObject") and a != "s3:PutObject"]
    # and no other policy gives that role anything (CDK's own read/write/delete grant is dropped)
    roles = synthesized.resources(FIREHOSE, "AWS::IAM::Role")
    assert "Policies" not in roles[role]["Properties"] and "ManagedPolicyArns" not in roles[role]["Properties"]
    # and the delivery stream is created only once that policy exists (Firehose checks its role on creation)
    (stream_id,) = synthesized.resources(FIREHOSE, "AWS::KinesisFirehose::DeliveryStream")
    policies = {
        k
        for k, p in synthesized.resources(FIREHOSE, "AWS::IAM::Policy").items()
        if {"Ref": role} in p["Properties"]["Roles"]
    }
    depends = synthesized.templates[FIREHOSE]["Resources"][stream_id]["DependsOn"]
    assert policies and policies <= set(depends)


GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "archive" / "firehose_objects.json"
EVENT = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "kinesis_frame_batch_archive.json"


def test_the_golden_objects_are_what_the_synthesized_delivery_writes(synthesized: Synthesized) -> None:
    # Given the delivery as deployed (jq 1.6 query, prefix, processors, compression), When each record of the
    # fixture batch goes through it, Then the objects are the golden file's, which the archive writer must match
    (delivery,) = synthesized.properties(FIREHOSE, "AWS::KinesisFirehose::DeliveryStream")
    s3 = delivery["ExtendedS3DestinationConfiguration"]
    assert s3["CompressionFormat"] == "GZIP" and s3["FileExtension"] == ".jsonl.gz"
    processors = s3["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["MetadataExtraction", "AppendDelimiterToRecord"]
    assert processors[1]["Parameters"] == []  # the default delimiter: "\n"
    params = {p["ParameterName"]: p["ParameterValue"] for p in processors[0]["Parameters"]}
    objects: dict[str, str] = {}
    failed = []
    for i, record in enumerate(json.loads(EVENT.read_text(encoding="utf-8"))["Records"]):
        data = base64.b64decode(record["kinesis"]["data"])
        try:
            keys = json.loads(_jq(params["MetadataExtractionQuery"], data))
        except subprocess.CalledProcessError:
            failed.append(i)
            continue
        prefix = s3["Prefix"].replace("!{partitionKeyFromQuery:date}", keys["date"])
        prefix = prefix.replace("!{partitionKeyFromQuery:auth}", keys["auth"])
        objects[prefix] = objects.get(prefix, "") + data.decode("utf-8") + "\n"
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert [{"prefix": k, "content": v} for k, v in objects.items()] == golden["objects"]
    assert failed == golden["failed"]
    assert s3["Prefix"].startswith(RAW_PREFIX) and not s3["ErrorOutputPrefix"].startswith(RAW_PREFIX)


def _writer(synthesized: Synthesized, stage: str) -> tuple[str, dict[str, Any]]:
    functions = synthesized.resources(stage, "AWS::Lambda::Function")
    (found,) = [
        (k, r["Properties"])
        for k, r in functions.items()
        if r["Properties"].get("Handler") == "functions.on_frame_batch_archive.handler"
    ]
    return found


@pytest.mark.parametrize("stage", ["dev", "prod", "county"])
def test_stages_with_the_lambda_writer_have_no_firehose_and_a_writer_on_the_stream(
    synthesized: Synthesized, stage: str
) -> None:
    s = StageSettings(name=stage, archive_writer="lambda")
    assert synthesized.resources(stage, "AWS::KinesisFirehose::DeliveryStream") == {}
    writer, props = _writer(synthesized, stage)
    assert props["Architectures"] == ["arm64"]
    (archive,) = [
        k for k, b in synthesized.resources(stage, "AWS::S3::Bucket").items() if k.startswith("StreamArchive")
    ]
    assert props["Environment"]["Variables"]["ARCHIVE_BUCKET"] == {"Ref": archive}
    (mapping,) = [
        m
        for m in synthesized.properties(stage, "AWS::Lambda::EventSourceMapping")
        if m["FunctionName"] == {"Ref": writer}
    ]
    (stream,) = synthesized.resources(stage, "AWS::Kinesis::Stream")
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [stream, "Arn"]}
    assert mapping["BatchSize"] == s.archive_batch_size == 10_000
    assert mapping["MaximumBatchingWindowInSeconds"] == s.archive_batching_window == 300
    assert mapping["StartingPosition"] == "TRIM_HORIZON" and mapping["BisectBatchOnFunctionError"] is True
    assert mapping.get("MaximumRetryAttempts", -1) == -1  # retried until the records age out, never by count
    assert mapping["MaximumRecordAgeInSeconds"] == s.decode_max_record_age_hours * 3600
    assert mapping.get("ParallelizationFactor", 1) == 1
    assert "FunctionResponseTypes" not in mapping  # all of a batch's objects or a retry of the whole batch
    # its failed batches go to a queue of their own, which is alarmed on
    queue = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert queue in synthesized.resources(stage, "AWS::SQS::Queue")
    alarms = synthesized.resources(stage, "AWS::CloudWatch::Alarm")
    dead = [
        a["Properties"]
        for a in alarms.values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}} in a["Properties"].get("Dimensions", [])
    ]
    assert len(dead) == 1 and dead[0]["Threshold"] == 1


@pytest.mark.parametrize("stage", ["dev", "prod", "county"])
def test_the_writer_may_only_put_objects_under_its_prefixes_and_encrypt_through_s3(
    synthesized: Synthesized, stage: str
) -> None:
    writer, props = _writer(synthesized, stage)
    role = props["Role"]["Fn::GetAtt"][0]
    statements = _statements(synthesized, stage, role)
    (archive,) = [k for k in synthesized.resources(stage, "AWS::S3::Bucket") if k.startswith("StreamArchive")]
    arn = {"Fn::GetAtt": [archive, "Arn"]}
    grants = {
        (action, json.dumps(resource, sort_keys=True))
        for st in statements
        for action in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
        for resource in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
        if action.startswith(("s3:", "kms:"))
    }
    (key,) = synthesized.resources(stage, "AWS::KMS::Key") if stage == "county" else [
        k for k in synthesized.resources(stage, "AWS::KMS::Key") if k.startswith("StreamKey")
    ]  # fmt: skip
    assert grants == {
        ("s3:PutObject", json.dumps({"Fn::Join": ["", [arn, f"/{RAW_PREFIX}*"]]}, sort_keys=True)),
        ("s3:PutObject", json.dumps({"Fn::Join": ["", [arn, f"/{ERROR_PREFIX}*"]]}, sort_keys=True)),
        ("kms:GenerateDataKey", json.dumps({"Fn::GetAtt": [key, "Arn"]}, sort_keys=True)),
    }
    everything = [a for st in statements for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]
    assert not [a for a in everything if "Delete" in a or a.endswith("*")]


def test_the_writers_prefixes_in_infra_are_the_writers_own() -> None:
    from infra.stacks.platform import ARCHIVE_CHAIN_PREFIX, ARCHIVE_WRITER_PREFIXES

    assert ARCHIVE_WRITER_PREFIXES == (RAW_PREFIX, ERROR_PREFIX) and ARCHIVE_CHAIN_PREFIX == RAW_PREFIX


def test_the_firehose_stage_has_no_writer(synthesized: Synthesized) -> None:
    assert StageSettings(name="x").archive_writer == "firehose"
    handlers = [p.get("Handler") for p in synthesized.properties(FIREHOSE, "AWS::Lambda::Function")]
    assert "functions.on_frame_batch_archive.handler" not in handlers
    assert len(synthesized.resources(FIREHOSE, "AWS::KinesisFirehose::DeliveryStream")) == 1
