"""AWS mode end to end on 127.0.0.1: simulator terminals → two listener tasks (DynamoDB registry, leases,
commands, a password change) → Kinesis (moto server) → the decode handler → DynamoDB Local → the rules handler →
an alarm. Every DynamoDB request of the listener tasks is checked against their task role's key grants.
Simulated time runs ×60 from a fixed start, so the alarm's tick and data times are deterministic.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions import _wiring
from functions.every_minute_evaluate_rules import handler as evaluate_handler
from functions.on_frame_batch import handler as decode_handler
from infra.data_grants import LISTENER
from iot_ingest.__main__ import Ports, build_ports, build_sink
from iot_ingest.adapters.directory import CachedRegistryDirectory
from iot_ingest.config import load_settings
from iot_ingest.ports import AuthStatus
from iot_ingest.server import Server
from iot_ingest.sinks.kinesis import group_of
from monitoring.clock import FixedClock
from monitoring.commands.models import Command, CommandStatus
from monitoring.field.commands import CommandKind, create_command
from monitoring.readings.models import ReadingKind
from monitoring.registry.models import FacilityKind
from monitoring.registry.terminal import hash_password, verify_password
from monitoring.rules.put_notes import read_note
from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.leases import DynamoDBSessionLeases
from monitoring.storage.dynamodb.tables import table_name
from monitoring.storage.ports import Store
from simulator.clock import SimClock
from simulator.link import Link
from simulator.runner import drive
from simulator.terminal import Terminal as SimTerminal
from tests.contract.storage import builders as b
from tests.fixtures.events import load_event
from tests.integration.functions.conftest import LambdaContext
from tests.support.dynamodb_requests import Request, authorised_as, recording, refused
from tests.support.dynamodb_tables import fresh_backend
from tests.support.moto_server import moto_server
from tests.unit.simulator.conftest import START, scenario, terminal

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.solo]
REGION = "cn-north-1"
STREAM = "frames"
REGISTERED = "010000A80000000100000002"  # the simulator's shared terminal: production on 1, its fan on 2
UNREGISTERED = "010000A80000000100000001"  # the main incoming line's terminal: never registered
START_UTC = (START - timedelta(hours=8)).replace(tzinfo=UTC)  # START is China wall time
ACCEL = 60.0  # one simulated minute per wall second
SIM_MINUTES = 17  # the fan stops at minute 2; control_stopped needs 10 minutes
OLD_PW, NEW_PW = "123456", "654321"


@pytest.fixture
def kinesis_url(fake_aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with moto_server() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_KINESIS", url)  # the listener's sink builds its own client
        boto3.client("kinesis", region_name=REGION, endpoint_url=url).create_stream(StreamName=STREAM, ShardCount=1)
        yield url


@pytest.fixture
def backend(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[DynamoDBBackend]:
    # the handlers under test open their own clients with the environment's credentials
    with fresh_backend(dynamodb_local_url, "e2e", region=REGION, env_credentials=True) as made:
        yield made


def _seed(store: Store) -> None:
    reg = store.registry
    b.seed_jurisdictions(reg)
    reg.put_enterprise(b.enterprise("e1"))
    reg.put_facility(b.facility("f1", rated_power_kw=120.0))
    control, main = FacilityKind.CONTROL, FacilityKind.MAIN_INCOMING
    reg.put_facility(b.facility("f2", code="TA001", name="布袋除尘风机", kind=control, rated_power_kw=30.0))
    reg.put_facility(b.facility("f3", code="ZJX01", name="总进线", kind=main, rated_power_kw=300.0))
    reg.put_association(b.association("a1"))
    reg.put_terminal(b.terminal(REGISTERED, enterprise_id="e1", password_hash=hash_password(OLD_PW, n=2)))
    reg.put_point(b.point("p1", mn=REGISTERED, channel="01"))
    reg.put_point(b.point("c1", facility_id="f2", role=FacilityKind.CONTROL, mn=REGISTERED, channel="02"))
    # A point bound to a terminal that was never registered: its frames are kept but must not become readings.
    reg.put_point(b.point("m1", facility_id="f3", role=FacilityKind.MAIN_INCOMING, mn=UNREGISTERED, channel="01"))


async def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = await asyncio.to_thread(check)
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def _listener(task: str, backend: DynamoDBBackend, endpoint: str) -> tuple[Server, Ports]:
    settings = load_settings(
        env={},
        cli={
            "port": 0, "health_port": 0, "sink": f"kinesis:{STREAM}", "listener_id": task, "use_uvloop": False,
            "store_backend": "dynamodb", "dynamodb_table_prefix": backend.table_prefix,
            "dynamodb_endpoint": endpoint, "dynamodb_region": REGION, "counties": "rugao",
            "clock_correction": False,  # simulated time is days behind the wall clock on purpose
            "command_poll_interval": 0.3, "lease_seconds": 3.0,
            "unregistered_mn_frames": 40,  # the unregistered terminal sends about 120 frames: some are refused
            "directory_negative_ttl": 600,  # the run's length, however slow the machine: one lookup of it
        },
    )  # fmt: skip
    ports = build_ports(settings)
    server = Server(settings, sink=build_sink(settings, ports), directory=ports.directory, commands=ports.commands,
                    leases=ports.leases, events=ports.events)  # fmt: skip
    return server, ports


def _on_listener_threads() -> bool:
    return threading.current_thread().name.startswith("listener-ports")  # iot_ingest/adapters/store.py _EXECUTOR


async def _run_fleet(backend: DynamoDBBackend, store: Store, endpoint: str) -> dict[str, Any]:
    with recording(_on_listener_threads) as requests:
        run = await _run_listeners(backend, store, endpoint)
    return run | {"requests": requests}


async def _run_listeners(backend: DynamoDBBackend, store: Store, endpoint: str) -> dict[str, Any]:
    a, ports_a = _listener("task-a", backend, endpoint)
    b_, ports_b = _listener("task-b", backend, endpoint)
    for ports in (ports_a, ports_b):  # as iot_ingest/__main__.py `_serve`: noted before the first connection
        assert ports.put_notes is not None
        await ports.put_notes.start()
    await a.start()
    await b_.start()
    sc = scenario(
        {"type": "production_on", "from_min": 0, "to_min": 240},
        {"type": "control_off", "role": "control", "select": "first", "from_min": 2, "to_min": 240},
    )
    registered: SimTerminal = terminal(sc, 2, shared=True)
    unregistered: SimTerminal = terminal(sc, 1, shared=True)
    clock = SimClock(START, ACCEL)
    links = [Link(unregistered, clock, "127.0.0.1", a.port, reconnect_s=0.2),
             Link(registered, clock, "127.0.0.1", b_.port, reconnect_s=0.2)]  # fmt: skip
    stop = asyncio.Event()
    tasks = [asyncio.create_task(link.run(stop)) for link in links]
    tasks += [asyncio.create_task(drive(t, clock, stop, first=START)) for t in (registered, unregistered)]
    leases = DynamoDBSessionLeases(backend.client, table_name(backend.table_prefix, schema.STATE))
    try:
        # The registered terminal's session is held by task B, and the lease in DynamoDB says so
        await _until(lambda: REGISTERED in b_.state.sessions, 20, "the terminal's session on task B")
        assert await _until(lambda: leases.owner(REGISTERED), 10, "the lease") == "task-b"
        # A command enqueued as the API does reaches the terminal through task B; its status is written back
        qn = START.strftime("%Y%m%d%H%M%S") + "001"
        created = datetime.now(UTC)
        store.commands.enqueue(Command(command_id="cmd-1", mn=REGISTERED, cn="1061", qn=qn, created_at=created,
                                       expires_at=created + timedelta(minutes=10)))  # fmt: skip
        final = await _until(
            lambda: (c := store.commands.get("cmd-1")).status.final and c, 30, "the command's final status"
        )
        # A password change (CN 1072) as the API queues it: the terminal switches, task B settles it in the registry
        change = create_command(store.commands, store.registry, mn=REGISTERED, kind=CommandKind.SET_PASSWORD,
                                args={"new_password": NEW_PW}, requested_by="e2e", now=datetime.now(UTC))  # fmt: skip
        changed = await _until(
            lambda: (c := store.commands.get(change.command_id)).status.final and c, 30, "the password change"
        )
        await _until(lambda: store.registry.get_terminal(REGISTERED).next_password_hash is None, 10, "the settle")
        # and from then on task B refuses the old password and takes the new one (the command queue announces the
        # settle to the directory just after writing it: allow that moment, not the copy's 900 s refresh)
        deadline = asyncio.get_running_loop().time() + 5
        while (old_pw := await ports_b.directory.check(REGISTERED, OLD_PW)) is AuthStatus.OK:
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.05)
        after_change = [old_pw, await ports_b.directory.check(REGISTERED, NEW_PW)]
        # Simulated time runs on to the end of the scenario window, every upload of the registered one acknowledged
        # (the unregistered one's are kept only within its per-MN budget: past it they are refused, unacked)
        await clock.sleep_until(START + timedelta(minutes=SIM_MINUTES, seconds=5))
        end = (START + timedelta(minutes=SIM_MINUTES)).strftime("%Y%m%d%H%M%S")
        await _until(lambda: not any(e.record.data_time <= end for e in links[1].outbox.snapshot()),
                     20, "every upload of the window acknowledged")  # fmt: skip
        return {
            "command": final,
            "password_change": changed,
            "after_change": after_change,
            "a_sessions": set(a.state.sessions),
            "directories": (ports_a.directory, ports_b.directory),
            "frames_acked": a.metrics.get("frames_durable") + b_.metrics.get("frames_durable"),
            "unregistered_refused": a.metrics.get("unregistered_refused", "mn"),
        }
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await a.shutdown()
        await b_.shutdown()
        for ports in (ports_a, ports_b):
            assert ports.put_notes is not None
            await ports.put_notes.stop()
        ports_a.close()
        ports_b.close()


def _stream_events(url: str) -> list[dict[str, Any]]:
    """The stream's records as Lambda's Kinesis event source hands them over, in batches of 100."""
    client = boto3.client("kinesis", region_name=REGION, endpoint_url=url)
    records: list[dict[str, Any]] = []
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        it = client.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        iterator = it["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    converted = [
        {"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": r["SequenceNumber"],
         "partitionKey": r["PartitionKey"], "data": base64.b64encode(r["Data"]).decode()}}
        for r in records
    ]  # fmt: skip
    return [{"Records": converted[i : i + 100]} for i in range(0, len(converted), 100)]


def test_aws_mode_listener_tasks_authenticate_route_commands_and_feed_decode_and_rules(
    kinesis_url: str, backend: DynamoDBBackend, dynamodb_local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Gongkuang")
    store = backend.store(clock=FixedClock(START_UTC + timedelta(hours=1)))
    _seed(store)
    # When the fleet runs 17 simulated minutes against two listener tasks
    run = asyncio.run(_run_fleet(backend, store, dynamodb_local_url))
    # Then the command went through task B (task A never held the MN) and its status was written back
    command: Command = run["command"]
    assert command.status is CommandStatus.SUCCEEDED, command
    assert command.attempts == 1 and REGISTERED not in run["a_sessions"]
    # And the password change succeeded: the registry holds the new password only, and task B refuses the old one
    assert run["password_change"].status is CommandStatus.SUCCEEDED, run["password_change"]
    stored = store.registry.get_terminal(REGISTERED)
    assert verify_password(stored, NEW_PW) and not verify_password(stored, OLD_PW) and stored.next_password_hash is None
    assert run["after_change"] == [AuthStatus.AUTH_FAILED, AuthStatus.OK]
    # And every DynamoDB request of the listener tasks is one their task role allows (infra/data_grants.py)
    requests: list[Request] = run["requests"]
    made = {(action, table.removeprefix(f"{backend.table_prefix}-"), index)
            for op, params in requests for action, table, index, _ in authorised_as(op, params)}  # fmt: skip
    assert {
        ("dynamodb:BatchGetItem", "registry", ""),
        ("dynamodb:Query", "registry", "gsi1"),
        ("dynamodb:PutItem", "registry", ""),
    } <= made  # the county load, the settled password change
    assert refused(LISTENER, backend.table_prefix, requests) == []
    # And each task noted what it put, per stream group, for the rules, and closed its note when it stopped
    notes = [read_note(k, d) for k, d in store.rule_state.documents("put:").items()]
    assert sorted(n.task.rsplit("-", 1)[0] for n in notes) == ["task-a", "task-b"] and all(n.closed for n in notes)
    put_to = {n.task.rsplit("-", 1)[0]: set(n.puts) for n in notes}
    assert put_to == {"task-a": {f"g{group_of(UNREGISTERED, 64)}"}, "task-b": {f"g{group_of(REGISTERED, 64)}"}}
    # And the directory answered every frame from its copy: one county load per task, no lookup per frame
    directories: tuple[CachedRegistryDirectory, CachedRegistryDirectory] = run["directories"]
    assert [d.reloads for d in directories] == [1, 1]
    assert directories[0].lookups <= 1  # task A: the unregistered MN, once (negative answer kept)
    assert directories[1].lookups <= 4  # task B: re-reads of the terminal whose password changed (handed out, settled)
    assert run["frames_acked"] >= 2 * SIM_MINUTES
    assert run["unregistered_refused"] >= 1  # the unregistered budgets apply in AWS mode too

    # When decode consumes the stream and the rules tick at the end of the window
    _wiring.configure(
        _wiring.Settings(store_backend="dynamodb", dynamodb_table_prefix=backend.table_prefix,
                         dynamodb_endpoint=dynamodb_local_url, dynamodb_region=REGION),
        clock=FixedClock(START_UTC + timedelta(minutes=SIM_MINUTES, seconds=30)),
    )  # fmt: skip
    try:
        events = _stream_events(kinesis_url)
        auth: dict[str, set[str]] = {}
        for event in events:
            assert decode_handler(event, LambdaContext()) == {"batchItemFailures": []}
        for event in events:
            for r in event["Records"]:
                doc = json.loads(base64.b64decode(r["kinesis"]["data"]))
                auth.setdefault(doc["mn"], set()).add(doc["auth"])
                assert r["kinesis"]["partitionKey"] == f"g{group_of(doc['mn'], 64)}"  # the MN's stream group
        assert auth == {REGISTERED: {"ok"}, UNREGISTERED: {"unregistered"}}
        tick = START_UTC + timedelta(minutes=SIM_MINUTES)
        event = load_event("eventbridge_scheduled.json") | {"time": tick.isoformat()}
        result = evaluate_handler(event, LambdaContext())
        wired = _wiring.get_store()
        window = (START_UTC - timedelta(minutes=1), tick + timedelta(minutes=1))
        # Then the registered terminal's frames are readings, the unregistered one's are not
        assert wired.readings.readings("p1", ReadingKind.MINUTE, *window)
        assert wired.readings.readings("c1", ReadingKind.MINUTE, *window)
        assert not wired.readings.readings("m1", ReadingKind.MINUTE, *window)
        assert not wired.readings.readings("m1", ReadingKind.REALTIME, *window)
        # And the fan stopped while production ran is an alarm on its point
        assert result["alarms_changed"] >= 1
        alarms = [a for a in wired.alarms.list() if a.rule == "control_stopped"]
        assert alarms and "c1" in alarms[0].point_ids
    finally:
        _wiring.configure(None)
        store.close()
