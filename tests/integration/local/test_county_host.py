"""The county host: `python -m local run` on DynamoDB Local and moto's S3 server, a simulated fleet over real TCP.

Readings of registered terminals land in DynamoDB, an unregistered terminal's frames are archived but not decoded,
the rules worker raises the scenario's alarm, and a platform killed mid-run and restarted loses no acknowledged
frame and forks no chain (every acknowledged packet is in a chained S3 object; the chain verifies).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.adapters.archive_objects import S3Objects, frames_of
from hj212 import decode_frame
from local.demo.fleet import import_fleet
from local.demo.harness import Run, read_acks
from local.workers import EVALUATE_JOB
from monitoring._time import CHINA
from monitoring.archive.manifest_chain import verify
from monitoring.readings.models import ReadingKind
from monitoring.storage.dynamodb.adapter import open_dynamodb_store
from monitoring.storage.ports import Store
from tests.support.dynamodb_tables import REGION, fresh_backend
from tests.support.image_modules import image_environment
from tests.support.moto_server import moto_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.solo]
# The main incoming terminal is unregistered; the first control facility stops at minute 4 while production runs.
SCENARIO = {
    "name": "county_host",
    "title_zh": "县级主机",
    "description": "an unregistered main terminal; a control facility stopped while producing",
    "effects": [
        {"type": "unknown_terminal", "role": "main"},
        {"type": "production_on", "from_min": 0, "to_min": 240},
        {"type": "control_off", "role": "control", "select": "first", "from_min": 4, "to_min": 120},
    ],
    "expect": [],
}
ACCEL = 120.0
HOST_KEY = "countyhost"  # DynamoDB Local keeps a database per access key


@dataclass
class Host:
    dynamodb: str
    prefix: str
    s3: Any
    bucket: str

    def store(self) -> Store:
        """The tables as the platform process sees them: DynamoDB Local keeps a database per access key, and this
        process's shared botocore session may hold another test's credentials, so the environment's are passed."""
        return open_dynamodb_store(
            region=REGION, host=self.dynamodb, table_prefix=self.prefix, aws_access_key_id=HOST_KEY,
            aws_secret_access_key=HOST_KEY,
        )  # fmt: skip


@pytest.fixture
def host(dynamodb_local_url: str, fake_aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    # The platform's processes use the environment's key; so do this process's tables and store (explicitly).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", HOST_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", HOST_KEY)
    with moto_server() as s3_url, fresh_backend(dynamodb_local_url, "host", explicit_key=HOST_KEY) as backend:
        s3 = boto3.client("s3", endpoint_url=s3_url, region_name=REGION)
        bucket = f"county-archive-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_url)  # the platform's S3 client (the SDK's own setting)
        for name, value in {
            "LOCAL_STORE": "dynamodb",
            "LOCAL_DYNAMODB_ENDPOINT": dynamodb_local_url,
            "LOCAL_DYNAMODB_REGION": REGION,
            "LOCAL_DYNAMODB_TABLE_PREFIX": backend.table_prefix,
            "LOCAL_ARCHIVE_BUCKET": bucket,
            "LOCAL_ARCHIVE_EVERY_S": "1",
            "LOCAL_API": "false",
            "LOCAL_NOTIFY": "false",
            "LOCAL_SCHEDULED_JOBS": "false",
            "LOCAL_DECODE_WORKERS": "1",
        }.items():
            monkeypatch.setenv(name, value)
        yield Host(dynamodb_local_url, backend.table_prefix, s3, bucket)


def _prepare(run: Run, host: Host) -> dict[str, Any]:
    """The fleet's manifest, imported into the host's DynamoDB tables (in AWS: the registry the API edits)."""
    import subprocess
    import sys

    run.data.mkdir(parents=True, exist_ok=True)
    path = run.data / "fleet.json"
    subprocess.run([sys.executable, "-m", "simulator", "manifest", *run.common, "--out", str(path)], check=True,
                   capture_output=True)  # fmt: skip
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    store = host.store()
    try:
        import_fleet(store, manifest, county_id="rugao", enterprise_csv=Path(run.common[1]))
    finally:
        store.close()
    return manifest


def _alarm_rules(store: Store) -> set[str]:
    return {a.rule for a in store.alarms.list(limit=1000)}


def _wait(what: str, predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_the_county_host_decodes_archives_and_evaluates_on_aws_storage_and_survives_a_kill(
    host: Host, tmp_path: Path
) -> None:
    # Given one enterprise: registered production and control terminals, an unregistered main terminal
    scenario = tmp_path / "county_host.json"
    scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
    run = Run(tmp_path / "data", limit=1, scenario=str(scenario), accel=ACCEL, ack_log=True)
    run.platform_env = image_environment(tmp_path)  # only what local/Dockerfile installs and copies
    manifest = _prepare(run, host)
    terminals = [t for e in manifest["enterprises"] for t in e["terminals"]]
    registered = [c["point"] for t in terminals if t["registered"] for c in t["channels"]]
    unregistered = [c["point"] for t in terminals if not t["registered"] for c in t["channels"]]
    assert registered and unregistered
    store = host.store()
    try:
        # When the fleet runs against the host, which is killed once mid-run and started again
        run.start()
        run.wait_sim_minutes(6, timeout=60)
        run.kill_platform()
        run.start_platform()
        _wait("control_stopped", lambda: "control_stopped" in _alarm_rules(store), timeout=60)
        # (no API, no notify worker, only rule evaluation scheduled: AWS does the rest)
        st = run.status() or {}
        assert set(st["workers"]) == {"decode-0", "archive", "rules"} and st["api_url"] is None
        assert set(st["jobs"]) == {EVALUATE_JOB}
        assert (st["queue"]["reserve_mb"], st["queue"]["refusing"]) == (256, False)  # the queue keeps a disk reserve
        run.stop()  # the simulator, then the platform: a clean stop drains decode and the archive
        assert run.platform is not None and run.platform.returncode == 0
        # Then the registered terminals' readings are in DynamoDB, the unregistered one's are not
        assert all(store.readings.latest_all_kinds(p) for p in registered)
        assert not any(store.readings.latest_all_kinds(p) for p in unregistered)
        # And every acknowledged packet is in the S3 archive, whose chain verifies
        objects = S3Objects(host.s3, host.bucket)
        result = verify(store.chain_heads, objects, frames_of, delivered="raw/")
        assert result.ok, result.problems[:5]
        archived, receipts = set(), []
        for key in objects.keys("raw/"):
            for f in frames_of(key, objects.get(key) or b""):
                frame = decode_frame(f.raw)
                archived.add((f.mn, frame.cn or "", frame.cp.scalars.get("DataTime", ""), frame.pno))
                receipts.append((f.mn, f.received_at, f.raw))
        acks = read_acks(tmp_path / "data" / "acks.jsonl")
        acked = {(a["mn"], a["cn"], a["data_time"], a["pno"]) for a in acks}
        assert acked and not acked - archived, sorted(acked - archived)[:5]
        assert any("auth=unregistered" in k for k in objects.keys("raw/"))
        # And no frame was cut twice: the objects' queue ranges (their keys' stems) do not overlap
        ranges = sorted({tuple(map(int, m.groups())) for k in objects.keys("raw/")
                         if (m := re.search(r"local-(\d+)-(\d+)-", k))})  # fmt: skip
        assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:], strict=False)), ranges
        # each receipt once (a resend after the kill is a receipt of its own, at its own time)
        assert sum(result.frames.values()) == len(receipts) == len(set(receipts))
    finally:
        run.stop()
        store.close()


def test_with_reading_buckets_minute_readings_reach_dynamodb_as_buckets_the_rules_alarm_and_a_kill_loses_none(
    host: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the county host with 5-minute reading buckets (the county-host stage's setting)
    monkeypatch.setenv("LOCAL_READING_BUCKET_MINUTES", "5")
    scenario = tmp_path / "county_host.json"
    scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
    run = Run(tmp_path / "data", limit=1, scenario=str(scenario), accel=ACCEL, ack_log=True)
    run.platform_env = image_environment(tmp_path)
    manifest = _prepare(run, host)
    registered = [c["point"] for e in manifest["enterprises"] for t in e["terminals"] if t["registered"]
                  for c in t["channels"]]  # fmt: skip
    points_of = {t["mn"]: [c["point"] for c in t["channels"]] for e in manifest["enterprises"]
                 for t in e["terminals"] if t["registered"]}  # fmt: skip
    store = host.store()
    readers = open_dynamodb_store(region=REGION, host=host.dynamodb, table_prefix=host.prefix, reading_buckets=True,
                                  aws_access_key_id=HOST_KEY, aws_secret_access_key=HOST_KEY)  # fmt: skip
    try:
        # When the fleet runs for a while of platform time, the platform killed once (kill -9) and started again
        run.start()
        run.wait_sim_minutes(7, timeout=60)
        run.kill_platform()
        run.start_platform()
        # Then the rules, reading the host's buffer, raise the scenario's alarm
        _wait("control_stopped", lambda: "control_stopped" in _alarm_rules(store), timeout=90)
        run.wait_sim_minutes(16, timeout=60)  # several buckets of every point closed and flushed
        st = run.status() or {}
        assert set(st["workers"]) == {"decode-0", "archive", "buckets", "rules"}
        _wait("buckets flushed", lambda: ((run.status() or {})["workers"]["buckets"].get("flushed") or 0) > 0, 30)
        run.stop()
        assert run.platform is not None and run.platform.returncode == 0
        # And the minute readings are in DynamoDB as bucket items, none as a per-minute item
        table = f"{host.prefix}-readings"
        scan = store_items(host, table)
        minute_items = [k for k in scan if k.startswith("rd#") and not k.endswith("#hour") and not k.endswith("#day")]
        buckets = [k for k in scan if k.startswith("rb#")]
        assert not minute_items, minute_items[:5]
        assert {k.split("#")[1] for k in buckets} == set(registered), (buckets[:5], registered)
        # And a reader with READING_BUCKETS on (the API of the stage) sees them; one without does not
        platform_now = datetime.fromisoformat(st["platform_time"])
        window = (platform_now - timedelta(hours=2), platform_now + timedelta(hours=1))
        for point in registered:
            seen = readers.readings.readings(point, ReadingKind.MINUTE, *window)
            assert seen and seen == sorted(seen, key=lambda r: r.data_time)
            assert len({r.data_time for r in seen}) == len(seen)
            assert not store.readings.readings(point, ReadingKind.MINUTE, *window)
            assert readers.readings.latest(point, ReadingKind.MINUTE) == seen[-1]
        # And every acknowledged minute frame's readings are in DynamoDB's buckets or, for the buckets not closed at
        # the stop, in the buffer on the volume (a stop writes nothing early): the kill lost none
        acked = {(point, _utc(a["data_time"])) for a in read_acks(tmp_path / "data" / "acks.jsonl")
                 if a["cn"] == "2051" and a["mn"] in points_of for point in points_of[a["mn"]]}  # fmt: skip
        stored = {
            (p, r.data_time) for p in registered for r in readers.readings.readings(p, ReadingKind.MINUTE, *window)
        }
        unflushed = "SELECT point, data_time FROM readings WHERE kind = 'minute' AND flushed_at IS NULL"
        with sqlite3.connect(tmp_path / "data" / "readings.db") as buffer:
            held = {(p, EPOCH + timedelta(microseconds=us)) for p, us in buffer.execute(unflushed)}
        assert acked and not acked - stored - held, sorted(acked - stored - held)[:5]
        assert len(stored) > len(held)
        # And with buckets switched off, the next start still writes what the buffer held, then per-minute items
        assert run.platform_env is not None
        run.platform_env["LOCAL_READING_BUCKET_MINUTES"] = "0"
        run.start_platform()
        _wait("the buffer flushed", lambda: (run.status() or {})["workers"]["buckets"].get("unflushed") == 0, 60)
        run.stop()
        stored = {(p, r.data_time) for p in registered
                  for r in readers.readings.readings(p, ReadingKind.MINUTE, *window)}  # fmt: skip
        assert not acked - stored, sorted(acked - stored)[:5]
    finally:
        run.stop()
        store.close()
        readers.close()


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(data_time: str) -> datetime:
    """An HJ 212 DataTime (Beijing time, yyyymmddhhmmss) in UTC."""
    return datetime.strptime(data_time, "%Y%m%d%H%M%S").replace(tzinfo=CHINA).astimezone(UTC)


def store_items(host: Host, table: str) -> list[str]:
    """The readings table's partition keys, every page."""
    client = boto3.client("dynamodb", endpoint_url=host.dynamodb, region_name=REGION, aws_access_key_id=HOST_KEY,
                          aws_secret_access_key=HOST_KEY)  # fmt: skip
    keys: list[str] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk"):
        keys += [item["pk"]["S"] for item in page["Items"]]
    return keys
