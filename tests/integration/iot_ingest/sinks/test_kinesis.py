"""The Kinesis sink against moto: partition key = MN, chunking, per-record retry, failure after the last attempt."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import hj212
from iot_ingest.memory import MemoryCommandQueue, MemoryDirectory, MemoryEvents, MemoryLeases
from iot_ingest.ports import SinkError
from iot_ingest.server import Server
from iot_ingest.sinks.kinesis import KinesisSink, _chunks
from tests.integration.iot_ingest.harness import MN, Terminal, frame, settings

pytestmark = pytest.mark.integration
STREAM = "frames"


@pytest.fixture
def kinesis(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "cn-north-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("kinesis", region_name="cn-north-1")
        client.create_stream(StreamName=STREAM, ShardCount=2)
        yield client


def _read_all(client: Any) -> list[dict[str, Any]]:
    out = []
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        it = client.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        records = client.get_records(ShardIterator=it["ShardIterator"], Limit=10000)["Records"]
        out += [{"key": r["PartitionKey"], **json.loads(r["Data"])} for r in records]
    return out


def test_kinesis_sink_puts_records_with_mn_partition_key(kinesis: Any) -> None:
    # Given a sink on the stream / When 600 records are put (two PutRecords calls)
    sink = KinesisSink(STREAM, client=kinesis)
    asyncio.run(sink.put([{"mn": f"MN{i % 7}", "n": i} for i in range(600)]))
    # Then every record is on the stream, keyed by its MN
    got = _read_all(kinesis)
    assert sorted(r["n"] for r in got) == list(range(600))
    assert all(r["key"] == r["mn"] for r in got)


class _Flaky:
    """Wraps a client: the first `fail_calls` PutRecords calls report the first record as throttled."""

    def __init__(self, client: Any, fail_calls: int) -> None:
        self.client, self.fail_calls, self.calls = client, fail_calls, []  # type: list[int]

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls.append(len(Records))
        if len(self.calls) <= self.fail_calls:
            ok = self.client.put_records(StreamName=StreamName, Records=Records[1:]) if len(Records) > 1 else None
            results = [{"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}]
            results += ok["Records"] if ok else []
            return {"FailedRecordCount": 1, "Records": results}
        return dict(self.client.put_records(StreamName=StreamName, Records=Records))


def test_kinesis_sink_retries_only_failed_records_with_backoff(kinesis: Any) -> None:
    delays: list[float] = []
    flaky = _Flaky(kinesis, fail_calls=2)
    sink = KinesisSink(STREAM, client=flaky, sleep=delays.append, base_delay=0.1)
    asyncio.run(sink.put([{"mn": "A", "n": i} for i in range(5)]))
    # The whole batch, then the one throttled record twice; backoff grows
    assert flaky.calls == [5, 1, 1]
    assert len(delays) == 2 and delays[1] > delays[0] * 0.99 / 2
    assert sorted(r["n"] for r in _read_all(kinesis)) == list(range(5))


def test_kinesis_sink_raises_after_last_attempt(kinesis: Any) -> None:
    flaky = _Flaky(kinesis, fail_calls=99)
    sink = KinesisSink(STREAM, client=flaky, sleep=lambda _: None, max_attempts=3)
    with pytest.raises(SinkError, match="1 records failed after 3 attempts"):
        asyncio.run(sink.put([{"mn": "A", "n": 1}, {"mn": "B", "n": 2}]))


def test_kinesis_sink_missing_stream_raises_sink_error(kinesis: Any) -> None:
    sink = KinesisSink("nope", client=kinesis, sleep=lambda _: None, max_attempts=2)
    with pytest.raises(SinkError, match="ResourceNotFound"):
        asyncio.run(sink.put([{"mn": "A"}]))


def test_chunks_respect_count_and_size_limits() -> None:
    entries = [{"Data": b"x" * 100, "PartitionKey": "k"} for _ in range(1200)]
    assert [len(c) for c in _chunks(entries)] == [500, 500, 200]
    big = [{"Data": b"x" * (2 * 1024 * 1024), "PartitionKey": "k"} for _ in range(3)]
    assert [len(c) for c in _chunks(big)] == [2, 1]


def test_listener_with_kinesis_sink_acks_after_put(kinesis: Any) -> None:
    # Given the listener writing to Kinesis (moto) / When a terminal uploads / Then the ack follows the put
    async def scenario() -> None:
        server = Server(
            settings(),
            sink=KinesisSink(STREAM, client=kinesis),
            directory=MemoryDirectory(),
            commands=MemoryCommandQueue(),
            leases=MemoryLeases(),
            events=MemoryEvents(),
        )
        await server.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            t = Terminal(reader, writer)
            data = frame(i=1)
            await t.send(data)
            reply = await t.recv(5.0)
            assert reply is not None and reply.cn == "9014"
            await t.close()
        finally:
            await server.shutdown()
        [record] = _read_all(kinesis)
        assert record["key"] == MN and record["auth"] == "unregistered"
        assert hj212.decode_frame(base64.b64decode(record["frame"])).qn == hj212.decode_frame(data).qn

    asyncio.run(scenario())
