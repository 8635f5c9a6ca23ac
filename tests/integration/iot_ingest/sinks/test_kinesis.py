"""The Kinesis sink against moto: keys by the MN's group spread evenly over shards, chunking, per-record retry,
failure after the last attempt."""

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
from iot_ingest.put_log import PutLog
from iot_ingest.server import Server
from iot_ingest.sinks.kinesis import KinesisSink, _chunks, group_of, stream_keys
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
        out += [{"key": r["PartitionKey"], "shard": shard["ShardId"], **json.loads(r["Data"])} for r in records]
    return out


def test_kinesis_sink_keys_records_by_the_group_of_their_mn(kinesis: Any) -> None:
    # Given a sink with 8 groups on a stream of 2 shards / When 600 records of 40 MNs are put (two PutRecords calls)
    sink = KinesisSink(STREAM, groups=8, client=kinesis)
    asyncio.run(sink.put([{"mn": f"MN{i % 40}", "n": i} for i in range(600)]))
    # Then every record is on the stream, keyed g<k> by its MN's group, and an MN's records keep one key and shard
    got = _read_all(kinesis)
    assert sorted(r["n"] for r in got) == list(range(600))
    assert all(r["key"] == f"g{group_of(r['mn'], 8)}" for r in got)
    assert len({r["key"] for r in got}) == 8  # 40 MNs fill all 8 groups
    assert all(len({(r["key"], r["shard"]) for r in got if r["mn"] == mn}) == 1 for mn in {r["mn"] for r in got})
    # And the explicit hash keys put groups 0-3 on the first shard (the lower half of the hash space), 4-7 on the other
    by_shard = {r["key"]: r["shard"] for r in got}
    assert len({by_shard[f"g{k}"] for k in range(4)}) == 1 and len({by_shard[f"g{k}"] for k in range(4, 8)}) == 1
    assert by_shard["g0"] != by_shard["g7"]
    # And each MN's records stay in the order they were put
    for mn in {r["mn"] for r in got}:
        ns = [r["n"] for r in got if r["mn"] == mn]
        assert ns == sorted(ns)


def test_group_keys_sit_in_the_middle_of_their_slice_and_the_count_is_bounded() -> None:
    k = group_of("MN1", 2)
    assert stream_keys("MN1", 2) == (f"g{k}", str((2 * k + 1) * 2**126))  # a quarter or three quarters of 2^128
    assert stream_keys("", 1) == ("g0", str(2**127))
    for bad in (0, 100_001):
        with pytest.raises(ValueError, match="stream groups must be"):
            KinesisSink(STREAM, groups=bad, client=object())


def test_group_of_is_stable_and_spreads_mns() -> None:
    assert group_of("88888880000001", 64) == group_of("88888880000001", 64)  # the same in every process
    counts = [0] * 16
    for i in range(16_000):
        counts[group_of(f"{88888880000000 + i}", 16)] += 1
    assert min(counts) > 800 and max(counts) < 1200  # about 1,000 each


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


def test_the_put_log_notes_per_group_only_what_went_in_and_holds_its_floor_while_a_put_is_in_flight(
    kinesis: Any,
) -> None:
    clock = iter(float(t) for t in range(100, 200))
    log = PutLog(clock=lambda: next(clock))
    seen: list[tuple[float, float, dict[str, float]]] = []

    class _Watching(_Flaky):
        def put_records(self, **kw: Any) -> dict[str, Any]:
            seen.append(log.snapshot())  # what a note written during the call would say
            return super().put_records(**kw)

    # Given a stream that throttles the first record of the first call every time (the "A" record), three times
    sink = KinesisSink(STREAM, groups=64, client=_Watching(kinesis, fail_calls=3), sleep=lambda _: None,
                       max_attempts=3, put_log=log)  # fmt: skip
    with pytest.raises(SinkError):
        asyncio.run(sink.put([{"mn": "A", "n": 1}, {"mn": "B", "n": 2}]))
    # Then B's group is noted at the start of the call that took it (t=101: after the put's start at 100), A's not
    a, b = stream_keys("A", 64)[0], stream_keys("B", 64)[0]
    now, floor, newest = log.snapshot()
    assert a != b and newest == {b: 101.0} and floor == now  # nothing in flight any more
    # And while the put was in flight, a note's floor was the put's start (its records arrive after it)
    assert [f for _, f, _ in seen] == [100.0, 100.0, 100.0]


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
        assert record["key"] == f"g{group_of(MN, 64)}" and record["auth"] == "unregistered"
        assert hj212.decode_frame(base64.b64decode(record["frame"])).qn == hj212.decode_frame(data).qn

    asyncio.run(scenario())
