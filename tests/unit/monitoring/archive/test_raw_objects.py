"""Raw archive objects as the Firehose delivery writes them: partitions equal to what jq 1.6 computes with the
delivery's own query, one deterministic gzip object per batch and partition, records jq fails on set apart."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess

import pytest

from infra.constructs.stream import PARTITION_QUERY
from monitoring.archive.raw_objects import ERROR_PREFIX, StreamRecord, batch_objects, partition_of
from monitoring.errors import InvalidInputError

# The query object as CDK joins PARTITION_QUERY (tests/infra/test_stream.py reads it from the template).
QUERY = "{" + ",".join(f'"{key}":{value}' for key, value in PARTITION_QUERY.items()) + "}"
CASES = [
    b'{"received_at":"2026-11-28T10:33:46.123456+00:00","auth":"ok","mn":"A"}',
    b'{"received_at":"2026-11-28","auth":"unregistered"}',
    b'{"received_at":"2026-11-29T00:00:01Z","auth":"auth_failed"}',
    b'{"received_at":"2026-1-28T10:00:00Z","auth":"OK"}',
    b'{"received_at":"\xe2\x91\xa02026-11-28","auth":"ok "}',
    b'{"received_at":"\xef\xbc\x92026-11-28T","auth":"ok"}',  # a full-width digit is no [0-9]
    b'{"received_at":"2026-11-28\\n","auth":"ok\\n"}',
    b'{"received_at":"\\n2026-11-28","auth":"ok"}',
    b'{"received_at":20261128,"auth":["ok"]}',
    b'{"received_at":null,"auth":false}',
    b'{"received_at":false,"auth":true}',
    b'{"received_at":{"a":"2026-11-28"},"auth":{"ok":1}}',
    b'{"auth":"ok","auth":"unregistered","received_at":"2026-11-28T00:00:00Z"}',  # jq keeps the last, as json does
    b'{"received_at":"2026-11-28\xff\xfe","auth":"ok"}',  # invalid UTF-8 after the date
    b"{}",
    b"null",
    b'{"a":NaN,"b":-Infinity,"auth":"ok"}',
]
FAILS = [b"not json", b"[1,2]", b'"2026-11-28"', b"42", b"true", b'{"a":1}{"b":2}', b"", b'{"auth":"ok\tx"}']


def _jq(data: bytes) -> tuple[str, str] | None:
    done = subprocess.run(["jq", "-c", QUERY], input=data, capture_output=True, check=False)
    out = done.stdout.strip().splitlines()
    if done.returncode or len(out) != 1:
        return None
    keys = json.loads(out[0])
    return keys["date"], keys["auth"]


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
@pytest.mark.parametrize("data", CASES + FAILS)
def test_partition_is_what_jq_computes_with_the_delivery_query(data: bytes) -> None:
    # Given a record, When partitioned here and by jq 1.6 (Firehose's engine) with the deployed query, Then the same
    assert partition_of(data) == _jq(data)


def test_partitions_of_listener_records_and_of_what_jq_cannot_read() -> None:
    assert partition_of(CASES[0]) == ("2026-11-28", "ok")
    assert partition_of(CASES[3]) == ("unknown", "other")
    assert [partition_of(d) for d in FAILS] == [None] * len(FAILS)


def _records(*datas: bytes) -> list[StreamRecord]:
    return [StreamRecord(f"{49660000 + i:056d}", 1795910000.0 + i, d) for i, d in enumerate(datas)]


def test_one_object_per_partition_with_the_records_lines_in_order_and_a_deterministic_key() -> None:
    records = _records(CASES[0], CASES[1], b"not json", CASES[2], CASES[0])
    objects = batch_objects("shardId-000000000001", records)
    first, last = records[0].sequence, records[-1].sequence
    prefixes = [o.key.rsplit("/", 1)[0] + "/" for o in objects]
    assert prefixes == [
        "raw/date=2026-11-28/auth=ok/",
        "raw/date=2026-11-28/auth=unregistered/",
        "raw/date=2026-11-29/auth=auth_failed/",
        f"{ERROR_PREFIX}date=2026-11-28/",
    ]
    assert all(o.key.split("/")[-1].startswith(f"shardId-000000000001-{first}-{last}-") for o in objects)
    assert all(o.key.endswith(".jsonl.gz") for o in objects)
    assert gzip.decompress(objects[0].body) == CASES[0] + b"\n" + CASES[0] + b"\n"
    assert [o.records for o in objects] == [2, 1, 1, 1]
    (failed,) = [json.loads(line) for line in gzip.decompress(objects[3].body).splitlines()]
    assert base64.b64decode(failed["rawData"]) == b"not json" and failed["sequenceNumber"] == records[2].sequence
    # the same batch again: the same keys and bytes (a retry writes nothing new); other records: another key
    assert batch_objects("shardId-000000000001", records) == objects
    changed = batch_objects("shardId-000000000001", [*records[:-1], StreamRecord(last, 0.0, CASES[1])])
    assert changed[0].key != objects[0].key


def test_a_batch_without_shard_or_with_a_sequence_that_is_no_number_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        batch_objects("", _records(CASES[0]))
    with pytest.raises(InvalidInputError):
        batch_objects("shardId-000000000001", [StreamRecord("../x", 0.0, CASES[0])])
    with pytest.raises(InvalidInputError):
        batch_objects("shard/../x", _records(CASES[0]))
