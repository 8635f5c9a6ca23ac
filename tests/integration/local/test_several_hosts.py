"""Two hosts of a province's tier on ONE stage's tables (DynamoDB Local), each serving its own county, with the
runner's real parts: listener (local/listener_ports.py's directory and command queue), decode, the county rules.

A terminal of county A connecting to host B (misrouted) is not served there: its frames are neither acknowledged nor
queued, the connection is closed and an `other_county` event filed; the same frames sent later to host A (the
backfill once the terminal is re-pointed) become readings and host A's rules evaluate its enterprise; a command for
it is handed out by its own host only; the hosts' tick marks and archive keys do not collide.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions import _wiring
from functions.adapters.archive_objects import S3Objects
from iot_ingest.adapters.store import StoreEventSink
from iot_ingest.memory import MemoryLeases
from iot_ingest.server import Server
from iot_ingest.sinks.memory import MemorySink
from local.archive_worker import Archiver
from local.config import LocalSettings, archive_shard
from local.county_rules import COUNTY_FAILED, CountyRules, tick_key
from local.listener_ports import listener_ports
from local.queue import FrameQueue
from local.scheduler import HANDLER_FAILED, Job, Scheduler
from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.clock import SystemClock
from monitoring.commands.models import CommandStatus
from monitoring.errors import StorageUnavailableError
from monitoring.events.models import EventKind
from monitoring.registry.models import Branch, County, Town, TownKind
from monitoring.rules.state_docs import TickMark
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.integration.iot_ingest.harness import frame, settings
from tests.support.dynamodb_tables import REGION, fresh_backend
from tests.support.moto_server import moto_server

pytestmark = pytest.mark.integration
MN_A = "eaMN1"  # a terminal of county A (rugao): enterprise ea's production point
MN_B = "ebMN1"  # a terminal of county B (haian)
PW = b.PASSWORD


@pytest.fixture
def stage(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[tuple[DynamoDBBackend, Store]]:
    """The stage's tables, and the wiring (decode, rules) on them as every host's workers have it."""
    with fresh_backend(dynamodb_local_url, "hosts", env_credentials=True) as backend:
        store = backend.store(clock=SystemClock())
        reg = store.registry
        b.seed_jurisdictions(reg)
        reg.put_county(County("haian", "海安市", "南通市", "江苏省"))
        reg.put_town(Town("haian-t1", "haian", "城东镇", TownKind.TOWN))
        reg.put_branch(Branch("haian-b1", "haian", "执法一局"))
        b.register_fan_enterprise(reg, "ea")  # points ea-p (MN eaMN1) and ea-c
        b.register_fan_enterprise(reg, "eb", county="haian")
        reg.put_terminal(b.terminal(MN_A, county_id="rugao", profile="simulator_default"))
        reg.put_terminal(b.terminal(MN_B, county_id="haian", profile="simulator_default"))
        _wiring.configure(
            _wiring.Settings(
                store_backend="dynamodb",
                dynamodb_table_prefix=backend.table_prefix,
                dynamodb_endpoint=dynamodb_local_url,
                dynamodb_region=REGION,
                archive_items=False,
            ),
            clock=SystemClock(),
        )
        try:
            yield backend, store
        finally:
            _wiring.configure(None)
            store.close()


class Host:
    """One host's listener on the shared tables: the runner's directory and command queue for its counties."""

    def __init__(self, store: Store, name: str, counties: tuple[str, ...]) -> None:
        listener = settings(listener_id=name, command_poll_interval=3600.0)
        events = StoreEventSink(store)
        self.directory, self.commands = listener_ports(store, SystemClock(), events, listener, counties=counties)
        self.sink = MemorySink()
        self.server = Server(
            listener,
            sink=self.sink,
            directory=self.directory,
            commands=self.commands,
            leases=MemoryLeases(),
            events=events,
        )

    async def connect(self) -> Any:
        from tests.integration.iot_ingest.harness import Terminal

        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        return Terminal(reader, writer)


def test_two_hosts_on_one_stage_each_take_only_their_countys_terminals_and_commands(
    stage: tuple[DynamoDBBackend, Store],
) -> None:
    _, store = stage
    now = datetime.now(UTC)
    # Given a command for terminal A still to deliver, and one for it already past its deadline
    store.commands.enqueue(b.command("cmd-live", now, mn=MN_A, ttl_s=3600))
    store.commands.enqueue(b.command("cmd-stale", now - timedelta(hours=2), mn=MN_A, ttl_s=60))
    host_a, host_b = Host(store, "host-rugao", ("rugao",)), Host(store, "host-haian", ("haian",))

    uploads = [frame(MN_A, pw=PW, i=i) for i in range(4)]  # the terminal's data: kept until acknowledged

    async def scenario() -> tuple[list[Any], list[bool], int, list[Any]]:
        await host_a.server.start()
        await host_b.server.start()
        try:
            # When terminal A connects to host B (a misrouted installation) and uploads its first three frames
            acks_b: list[Any] = []
            closed_b: list[bool] = []
            lookups = 0
            for attempt in range(2):  # and reconnects and resends them (a terminal whose frames go unanswered)
                wrong = await host_b.connect()
                await wrong.send(b"".join(uploads[:3]))
                acks_b += await wrong.recv_n(1, timeout=2.0)
                closed_b.append(await wrong.closed_by_peer())
                await wrong.close()
                if attempt == 0:
                    lookups = host_b.directory.lookups
                    await host_b.server.downlink.poll_once()  # host B's command poll and expiry pass
            lookups = host_b.directory.lookups - lookups
            # And then, re-pointed, to host A, its county's host: the three again (the backfill) and a new one
            right = await host_a.connect()
            await right.send(b"".join(uploads))
            got = await right.recv_n(5, timeout=5.0)  # four acks and the pending command
            await host_a.server.downlink.poll_once()
            await right.close()
            await asyncio.sleep(0.5)  # the event is stored off the loop
            return acks_b, closed_b, lookups, got
        finally:
            await host_a.server.shutdown()
            await host_b.server.shutdown()

    acks_b, closed_b, lookups_b, got = asyncio.run(scenario())
    # Then host B acknowledged nothing, queued nothing (nothing to archive or decode there) and hung up each time;
    # the reconnection cost it no registry read; it filed one other_county event naming the terminal's county
    assert acks_b == [] and closed_b == [True, True] and host_b.sink.records == [] and lookups_b == 0
    assert host_b.server.metrics.get("frames_not_served") == 6
    assert host_b.server.metrics.get("unregistered_kept") == 0
    day = (now - timedelta(days=1), now + timedelta(days=1))
    (event,) = store.events.events_of_kind(EventKind.OTHER_COUNTY, *day)
    assert event.mn == MN_A and event.detail["county"] == "rugao" and event.detail["host_counties"] == "haian"
    assert not store.events.events_of_kind(EventKind.UNREGISTERED_SEEN, *day)
    # And host A delivered the live command; the stale one expired (any host's expiry pass may: it was never sent)
    assert "1012" in {f.cn for f in got}  # sent by host A (the terminal hung up before answering: pending again)
    assert store.commands.get("cmd-live").attempts == 1
    assert store.commands.get("cmd-stale").status is CommandStatus.EXPIRED
    # And on host A all four uploads, the three host B refused among them, became readings (decode, as its workers
    # run it)
    assert [f.cn for f in got].count("9014") == 4
    decoder = _wiring.new_decoder()
    outcomes_a = [decoder.decode(r) for r in host_a.sink.records]
    decoder.flush()
    assert outcomes_a == ["reading"] * 4, outcomes_a
    assert store.readings.latest_all_kinds("ea-p")
    # And each host's rules evaluate its own county's enterprise under its own tick mark
    tick = {"time": now.replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert CountyRules(("rugao",)).handler(tick, None)["enterprises"] == 1
    assert CountyRules(("haian",)).handler(tick, None)["enterprises"] == 1
    marks = {c: TickMark.load(store.rule_state, tick_key(c)) for c in ("rugao", "haian")}
    assert marks["rugao"].evaluated == {"ea"} and marks["haian"].evaluated == {"eb"}


def test_a_failing_county_does_not_stop_the_others_and_fails_the_tick_with_the_scheduler_line(
    stage: tuple[DynamoDBBackend, Store], caplog: pytest.LogCaptureFixture
) -> None:
    _, store = stage

    class BrokenHaian(CountyRules):
        """County haian's store reads fail (a throttled partition, say); rugao's work."""

        def evaluate(self, county_id: str, now: datetime, decoded: datetime | None) -> dict[str, int]:
            if county_id == "haian":
                raise StorageUnavailableError("haian: throttled")
            return super().evaluate(county_id, now, decoded)

    rules = BrokenHaian(("haian", "rugao"))
    job = Job("every-minute-evaluate-rules", timedelta(minutes=1), rules.handler)
    tick = datetime.now(UTC).replace(second=0, microsecond=0)

    async def fire() -> None:
        scheduler = Scheduler(SystemClock(), [job])  # type: ignore[arg-type]
        await scheduler.fire(job, tick)

    with caplog.at_level(logging.INFO):
        asyncio.run(fire())
    # Then rugao was evaluated (after haian failed), and the tick failed with the line the host's alarm counts
    assert TickMark.load(store.rule_state, tick_key("rugao")).evaluated == {"ea"}
    assert TickMark.load(store.rule_state, tick_key("haian")).last_tick is None
    lines = [r.getMessage() for r in caplog.records]
    assert COUNTY_FAILED in lines and HANDLER_FAILED in lines and job.errors == 1
    # And the next tick with both counties healthy evaluates both and reports each
    result = CountyRules(("haian", "rugao")).handler({"time": (tick + timedelta(minutes=1)).isoformat()}, None)
    assert result["enterprises"] == 2 and set(result["counties"]) == {"haian", "rugao"}


def test_the_county_furthest_behind_goes_first_and_each_county_is_its_own_unit_of_work(
    stage: tuple[DynamoDBBackend, Store],
) -> None:
    _, store = stage
    tick = datetime.now(UTC).replace(second=0, microsecond=0)
    # Given three counties: a evaluated a minute ago, c half an hour ago, b never
    TickMark(last_tick=tick - timedelta(minutes=1)).save(store.rule_state, tick_key("a"))
    TickMark(last_tick=tick - timedelta(minutes=30)).save(store.rule_state, tick_key("c"))
    seen: list[str] = []
    failing: set[str] = set()

    class Slow(CountyRules):
        """Each county takes 0.4 s (a catch-up); the counties in `failing` fail."""

        def evaluate(self, county_id: str, now: datetime, decoded: datetime | None) -> dict[str, int]:
            seen.append(county_id)
            time.sleep(0.4)
            if county_id in failing:
                raise StorageUnavailableError(f"{county_id}: throttled")
            return {"enterprises": 1}

    rules = Slow(("a", "b", "c"))
    job = Job("every-minute-evaluate-rules", timedelta(minutes=1), rules.handler)
    rules.progress = job.progress  # as local/workers.py rules_main wires it
    busy: list[float] = []

    async def fire(at: datetime) -> None:
        scheduler = Scheduler(SystemClock(), [job])  # type: ignore[arg-type]
        firing = asyncio.create_task(scheduler.fire(job, at))
        while not firing.done():  # what the rules worker's status reports as busy_s, sampled
            since = job.running_since
            if since is not None:
                busy.append(time.monotonic() - since)
            await asyncio.sleep(0.02)
        await firing

    # When a tick evaluates them
    asyncio.run(fire(tick))
    # Then the one never evaluated goes first, then the one furthest behind; and the supervisor's view of the unit
    # of work in progress restarted with each county, so a long tick of many counties is not taken for a hang
    assert seen == ["b", "c", "a"] and job.errors == 0
    assert job.last_seconds >= 1.2 and max(busy) < 0.8, (job.last_seconds, max(busy))
    # And when c fails at the next tick, the tick after takes c first
    seen.clear()
    failing.add("c")
    asyncio.run(fire(tick + timedelta(minutes=1)))
    assert seen == ["a", "b", "c"] and job.errors == 1
    seen.clear()
    failing.clear()
    asyncio.run(fire(tick + timedelta(minutes=2)))
    assert seen == ["c", "a", "b"] and job.errors == 1


def test_hosts_sharing_the_archive_bucket_write_their_objects_under_their_own_keys(
    tmp_path: Path, fake_aws_env: None
) -> None:
    # Given two hosts whose frame queues hold the same record at the same queue position (identical bytes)
    at = datetime(2026, 12, 7, tzinfo=UTC)
    record = RawFrame(MN_A, frame(MN_A, i=7), at, "203.0.113.7:50122", AuthStatus.OK, "hj212", "2011").to_doc()
    hosts = [
        LocalSettings(data_dir=str(tmp_path / "a"), store="dynamodb", api=False, counties="rugao,rugao-east"),
        LocalSettings(data_dir=str(tmp_path / "b"), store="dynamodb", api=False, counties="haian"),
    ]
    with moto_server() as s3_url:
        s3 = boto3.client("s3", endpoint_url=s3_url, region_name=REGION)
        bucket = f"province-archive-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        objects = S3Objects(s3, bucket)
        written = []
        for i, host in enumerate(hosts):
            queue = FrameQueue(tmp_path / f"queue-{i}.db", archive=True)
            queue.append([record])
            archiver = Archiver(queue, objects, None, shard=archive_shard(host))
            archiver.drain()
            written.append(archiver.written)
            queue.close()
        keys = objects.keys("raw/")
    # Then each host's object is in the bucket under a key naming its host
    assert written == [1, 1] and len(keys) == 2, keys
    assert any("/host-rugao-1-1-" in k for k in keys) and any("/host-haian-1-1-" in k for k in keys)
