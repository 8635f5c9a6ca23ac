"""Decode's dead letters in AWS (moto): poison set aside on SQS, and `python -m functions.redrive` putting both
poison and the event source mapping's on-failure batches back into the frame stream."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.adapters.sqs_dead_letters import SqsDeadLetters
from functions.redrive import main
from iot_ingest.sinks.kinesis import KinesisSink, stream_keys
from monitoring.ingest.isolate import Poison

pytestmark = pytest.mark.integration
REGION = "cn-north-1"


def _stream_data(kinesis: Any, stream: str) -> list[tuple[str, bytes]]:
    shard = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = kinesis.get_records(ShardIterator=iterator["ShardIterator"], Limit=100)["Records"]
    return [(r["PartitionKey"], r["Data"]) for r in records]


@pytest.mark.usefixtures("fake_aws_env")
def test_redrive_puts_poison_and_on_failure_batches_back_into_the_stream(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        sqs, kinesis = boto3.client("sqs", region_name=REGION), boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="frames", ShardCount=1)
        arn = kinesis.describe_stream(StreamName="frames")["StreamDescription"]["StreamARN"]
        url = sqs.create_queue(QueueName="decode-failures")["QueueUrl"]
        # Given three frames in the stream, the first two of which decode gave up on (an on-failure pointer) ...
        seqs = [
            kinesis.put_record(StreamName="frames", PartitionKey="MN1", Data=json.dumps({"n": n}).encode())[
                "SequenceNumber"
            ]
            for n in range(3)
        ]
        shard = kinesis.describe_stream(StreamName="frames")["StreamDescription"]["Shards"][0]["ShardId"]
        info = {"shardId": shard, "startSequenceNumber": seqs[0], "endSequenceNumber": seqs[1], "batchSize": 2}
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"KinesisBatchInfo": info | {"streamArn": arn}}))
        # ... a poison record decode set aside, and a message that is no dead letter of decode
        poison = Poison("4959", json.dumps({"mn": "MN2", "n": 9}).encode(), "KeyError: 'x'", "Traceback ...")
        SqsDeadLetters(url, region=REGION).set_aside([poison])
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        # When the dead letters are redriven (a dry run first changes nothing)
        args = ["--queue-url", url, "--stream", "frames", "--region", REGION, "--groups", "64"]
        assert main([*args, "--dry-run"]) == 1
        assert len(_stream_data(kinesis, "frames")) == 3
        code = main(args)
        # Then the stream has the batch's two records and the poison record again, keyed as the listener keys their MN
        after = _stream_data(kinesis, "frames")
        unknown = stream_keys("-", 64)[0]  # these records carry no MN
        assert Counter(after[3:]) == Counter(
            [(unknown, after[0][1]), (unknown, after[1][1]), (stream_keys("MN2", 64)[0], poison.data)]
        )
        # And only the unknown message is left in the queue, reported
        out = capsys.readouterr()
        assert code == 1 and "redriven: 2 messages, 3 records; left in the queue: 1" in out.out
        assert "not a decode dead letter" in out.err
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "1"  # visible again for the next run


@pytest.mark.usefixtures("fake_aws_env")
def test_sqs_dead_letters_on_a_missing_queue_is_a_store_outage() -> None:
    from monitoring.errors import StorageUnavailableError

    with mock_aws():
        url = f"https://sqs.{REGION}.amazonaws.com.cn/123456789012/missing"
        with pytest.raises(StorageUnavailableError, match="dead-letter queue"):
            SqsDeadLetters(url, region=REGION).set_aside([Poison("1", b"{}", "r", "e")])


def _shard_records(kinesis: Any, stream: str) -> dict[str, list[tuple[str, bytes]]]:
    shards = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]
    out = {}
    for shard in shards:
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        records = kinesis.get_records(ShardIterator=it["ShardIterator"], Limit=1000)["Records"]
        out[shard["ShardId"]] = [(r["PartitionKey"], r["Data"]) for r in records]
    return out


@pytest.mark.usefixtures("fake_aws_env")
def test_a_redriven_record_goes_to_its_groups_shard_with_the_live_sinks_keys() -> None:
    with mock_aws():
        sqs, kinesis = boto3.client("sqs", region_name=REGION), boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="frames", ShardCount=4)
        arn = kinesis.describe_stream(StreamName="frames")["StreamDescription"]["StreamARN"]
        url = sqs.create_queue(QueueName="decode-failures")["QueueUrl"]
        # Given the live sink's records of several MNs on a stream of 4 shards (64 groups), one batch of which decode
        # gave up on, and a poison record of another MN
        mns = [f"MN{n:04d}" for n in range(12)]
        KinesisSink("frames", groups=64, client=kinesis).put_sync([{"mn": mn, "n": 1} for mn in mns])
        live = _shard_records(kinesis, "frames")
        (shard, batch) = max(live.items(), key=lambda kv: len(kv[1]))
        it = kinesis.get_shard_iterator(StreamName="frames", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        seqs = [r["SequenceNumber"] for r in kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"]]
        info = {"shardId": shard, "startSequenceNumber": seqs[0], "endSequenceNumber": seqs[-1], "batchSize": len(seqs)}
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"KinesisBatchInfo": info | {"streamArn": arn}}))
        poison = json.dumps({"mn": "MN0099", "n": 2}).encode()
        SqsDeadLetters(url, region=REGION).set_aside([Poison("1", poison, "KeyError", "Traceback")])
        # When the dead letters are redriven
        assert main(["--queue-url", url, "--stream", "frames", "--region", REGION, "--groups", "64"]) == 0
        # Then every redriven record is on the shard the live sink puts its MN on, under the same partition key
        KinesisSink("frames", groups=64, client=kinesis).put_sync([{"mn": "MN0099", "n": 3}])  # the live frame
        after = _shard_records(kinesis, "frames")
        redriven = {s: rs[len(live.get(s, [])) :] for s, rs in after.items()}
        assert sorted(redriven[shard][: len(batch)]) == sorted(batch)
        home = [s for s, rs in redriven.items() if any(json.loads(d).get("n") == 3 for _, d in rs)]
        assert len(home) == 1 and sum(1 for _, d in redriven[home[0]] if json.loads(d)["mn"] == "MN0099") == 2
        assert {k for k, d in redriven[home[0]] if json.loads(d)["mn"] == "MN0099"} == {stream_keys("MN0099", 64)[0]}
