"""Rules fanned out: the scheduler puts every county's shards on an SQS FIFO queue (moto), the worker evaluates
exactly its shard on sqlite, deterministically, and skips a tick it has already evaluated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions import _wiring
from functions.every_minute_evaluate_rules import handler as single_runner
from functions.every_minute_schedule_rules import forget_plan
from functions.every_minute_schedule_rules import handler as schedule_handler
from functions.on_rule_shard import evaluate_shard
from functions.on_rule_shard import handler as shard_handler
from monitoring.clock import FixedClock
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import Branch, County, Town, TownKind
from monitoring.rules.decode_watermark import DecodeProgress
from monitoring.rules.shards import Shard
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.fixtures.events import load_event

pytestmark = pytest.mark.integration
REGION = "cn-north-1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TICK = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # eventbridge_scheduled.json


def _enterprise(store: Store, eid: str, county: str = "rugao") -> None:
    """An enterprise whose production runs while its fan is stopped since T0 (a control_stopped alarm)."""
    b.register_fan_enterprise(store.registry, eid, county)
    for pid, p in ((f"{eid}-p", 60.0), (f"{eid}-c", 0.0)):
        rows = [
            Reading(pid, T0 + timedelta(minutes=i), ReadingKind.MINUTE, {"p": p}, received_at=T0 + timedelta(minutes=i))
            for i in range(120)
        ]
        store.readings.put_readings(rows)


def _wire(
    tmp_path: Path,
    queue_url: str = "",
    per_shard: int = 2,
    every: int = 1,
    *,
    wait_for_decode: bool = False,
    clock: FixedClock | None = None,
    lanes: int = 1,
) -> Store:
    settings = _wiring.Settings(
        rules_wait_for_decode=wait_for_decode,
        store_backend="sqlite",
        sqlite_path=str(tmp_path / "platform.db"),
        rules_shard_queue_url=queue_url,
        rules_shard_enterprises=per_shard,
        rules_every_minutes=every,
        dynamodb_region=REGION,
        decode_lanes=lanes,
    )
    _wiring.configure(settings, clock=clock or FixedClock(TICK))
    forget_plan()
    return _wiring.get_store()


@pytest.fixture
def clean_wiring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Gongkuang")
    yield
    _wiring.get_store().close()
    _wiring.configure(None)
    forget_plan()


def _sqs_event(*bodies: Any) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"m{i}", "body": body if isinstance(body, str) else json.dumps(body)}
            for i, body in enumerate(bodies)
        ]
    }


@pytest.mark.usefixtures("fake_aws_env", "clean_wiring")
def test_scheduler_enqueues_every_countys_shards_once_per_tick(tmp_path: Path, lambda_context: Any) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="rule-shards.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        store = _wire(tmp_path, url, per_shard=2)
        # Given two counties: rugao with three enterprises, rudong with one
        b.seed_jurisdictions(store.registry)
        store.registry.put_county(County("rudong", "如东县", "南通市", "江苏省"))
        store.registry.put_town(Town("rudong-t1", "rudong", "掘港街道", TownKind.STREET))
        store.registry.put_branch(Branch("rudong-b1", "rudong", "执法一局"))
        for eid in ("e3", "e1", "e2"):
            _enterprise(store, eid)
        _enterprise(store, "d1", county="rudong")
        # When the scheduled minute runs, and EventBridge delivers it a second time
        event = load_event("eventbridge_scheduled.json") | {"time": "2026-11-23T03:00:12Z"}
        assert schedule_handler(event, lambda_context) == {"shards": 3, "counties": 2}
        assert schedule_handler(event, lambda_context) == {"shards": 3, "counties": 2}
        # Then the queue holds each shard of that minute once (the redelivery was deduplicated)
        bodies = []
        for _ in range(5):
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"])
            for m in got.get("Messages", []):
                bodies.append(Shard.from_message(json.loads(m["Body"])))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        plan = sorted((s.county_id, s.index, s.count, s.enterprise_ids) for s in bodies)
        assert plan == [("rudong", 0, 1, ("d1",)), ("rugao", 0, 2, ("e1", "e2")), ("rugao", 1, 2, ("e3",))]
        assert {s.tick for s in bodies} == {TICK}


@pytest.mark.usefixtures("fake_aws_env", "clean_wiring")
def test_scheduler_at_a_five_minute_cadence_enqueues_the_tick_its_invocation_was_for(
    tmp_path: Path, lambda_context: Any
) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="rule-shards.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        store = _wire(tmp_path, url, per_shard=5, every=5)
        b.seed_jurisdictions(store.registry)
        _enterprise(store, "e1")
        # When the 03:00 run is delivered late (03:04:50), as a retry would be
        event = load_event("eventbridge_scheduled.json") | {"time": "2026-11-23T03:04:50Z"}
        assert schedule_handler(event, lambda_context) == {"shards": 1, "counties": 1}
        # Then its shard names the 03:00 tick, not a minute that is no tick of the cadence
        (msg,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert Shard.from_message(json.loads(msg["Body"])).tick == TICK


def test_the_scheduler_reads_decodes_progress_once_and_the_workers_judge_no_later(
    tmp_path: Path, lambda_context: Any
) -> None:
    from monitoring.rules.decode_watermark import DecodeProgress
    from monitoring.rules.state_docs import TickMark

    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="rule-shards.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        store = _wire(tmp_path, url, per_shard=1, wait_for_decode=True)
        b.seed_jurisdictions(store.registry)
        for eid in ("e1", "e2"):
            _enterprise(store, eid)
        # Given two lanes of a shard: one decoded through 02:50, the other only through 02:40; and a gone container
        lanes = DecodeProgress(store.rule_state, container="a"), DecodeProgress(store.rule_state, container="b")
        lanes[0].note("shardId-0", {"g1": datetime(2026, 11, 23, 2, 50, 30, tzinfo=UTC)}, TICK)
        lanes[1].note("shardId-0", {"g2": datetime(2026, 11, 23, 2, 40, 30, tzinfo=UTC)}, TICK)
        DecodeProgress(store.rule_state, container="gone").note("shardId-0", {"g1": T0}, T0)
        # When the scheduler runs the tick
        schedule_handler(load_event("eventbridge_scheduled.json"), lambda_context)
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        # Then every shard's message carries the slowest lane's time, and the gone container's note was swept
        docs = [json.loads(m["Body"]) for m in got]
        assert len(docs) == 2 and {d["decoded_until"] for d in docs} == {"2026-11-23T02:40:30+00:00"}
        assert store.rule_state.keys("decoded:") == ["decoded:shardId-0:a", "decoded:shardId-0:b"]
        # And a worker judges up to 02:40 - settle even after the slow lane caught up (it reads no note itself)
        lanes[1].note("shardId-0", {"g2": TICK}, TICK + timedelta(seconds=20))
        assert shard_handler(_sqs_event(docs[0]), lambda_context) == {"batchItemFailures": []}
        shard = Shard.from_message(docs[0])
        assert TickMark.load(store.rule_state, shard.tick_key).horizon == datetime(2026, 11, 23, 2, 38, tzinfo=UTC)
        # And a message of an older scheduler (no decode time) is judged on the notes as the worker reads them
        older = {k: v for k, v in docs[1].items() if k != "decoded_until"}
        assert shard_handler(_sqs_event(older), lambda_context) == {"batchItemFailures": []}
        shard = Shard.from_message(older)
        assert TickMark.load(store.rule_state, shard.tick_key).horizon == datetime(2026, 11, 23, 2, 48, tzinfo=UTC)


class DecodeGoesOn(FixedClock):
    """A frozen clock on which decode carries on while the scheduler waits: once past 03:00:08 its lane has noted
    the frames that arrived up to 03:00:03 (its previous note, at 02:59:58, ended at 02:59:57)."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self.slept: list[float] = []
        self.progress: DecodeProgress | None = None

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        super().sleep(seconds)
        if self.progress is not None and self.now() >= TICK + timedelta(seconds=8):
            self.progress.note("shardId-0", {"*": TICK + timedelta(seconds=3)}, TICK + timedelta(seconds=8))


@pytest.mark.usefixtures("fake_aws_env", "clean_wiring")
@pytest.mark.parametrize(("started", "slept", "horizon"), [(1, [14.0], "02:58"), (40, [], "02:57")])
def test_the_scheduler_reads_decodes_notes_fifteen_seconds_after_its_tick(
    tmp_path: Path, lambda_context: Any, started: int, slept: list[float], horizon: str
) -> None:
    from monitoring.rules.state_docs import TickMark

    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="rule-shards.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        clock = DecodeGoesOn(TICK + timedelta(seconds=started))
        store = _wire(tmp_path, url, per_shard=1, wait_for_decode=True, clock=clock)
        b.seed_jurisdictions(store.registry)
        _enterprise(store, "e1")
        # Given decode's note of the frames that arrived up to 3 seconds before the tick (written every 10 s at most)
        clock.progress = DecodeProgress(store.rule_state, container="a")
        clock.progress.note("shardId-0", {"*": TICK - timedelta(seconds=3)}, TICK - timedelta(seconds=2))
        # When the scheduler's 03:00 run starts a second after the tick (or, late, 40 seconds after)
        schedule_handler(load_event("eventbridge_scheduled.json"), lambda_context)
        # Then it waited until 03:00:15 before reading the notes (a late run does not wait)
        assert clock.slept == slept
        (msg,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        # ... so decode had noted what arrived after the tick minute and the worker judges up to 03:00 - settle,
        # not a minute less (the late run here reads the note from before the tick: 02:59 - settle)
        assert shard_handler(_sqs_event(json.loads(msg["Body"])), lambda_context) == {"batchItemFailures": []}
        shard = Shard.from_message(json.loads(msg["Body"]))
        assert TickMark.load(store.rule_state, shard.tick_key).horizon == datetime.fromisoformat(
            f"2026-11-23T{horizon}:00+00:00"
        )


@pytest.mark.usefixtures("fake_aws_env", "clean_wiring")
def test_the_scheduler_lets_a_quiet_group_go_after_the_hold_bound_and_says_so(
    tmp_path: Path, lambda_context: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions import every_minute_schedule_rules as scheduler
    from monitoring.rules.decode_watermark import HELD
    from monitoring.rules.put_notes import note_doc

    counted: list[tuple[str, float]] = []  # the metrics as added (EMF printing is off in tests)
    add = scheduler.metrics.add_metric

    def counting(name: str, unit: Any, value: float) -> None:
        counted.append((name, value))
        add(name=name, unit=unit, value=value)

    monkeypatch.setattr(scheduler.metrics, "add_metric", counting)

    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="rule-shards.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        late = TICK + timedelta(seconds=40)  # a late run: reads the notes at once
        store = _wire(tmp_path, url, per_shard=1, wait_for_decode=True, clock=FixedClock(late), lanes=3)
        b.seed_jurisdictions(store.registry)
        _enterprise(store, "e1")
        # Given g1 waiting since 01:50 (its last record, put at 01:50:04, never decoded; its terminals quiet since),
        # remembered by the scheduler, while g2 is put to and decoded up to the tick
        stuck, put = TICK - timedelta(minutes=70), TICK - timedelta(minutes=70) + timedelta(seconds=4)
        remembered = {"g1": [stuck.timestamp(), put.timestamp()]}
        store.rule_state.put(HELD, {"through": stuck.timestamp(), "groups": remembered})
        DecodeProgress(store.rule_state, container="a").note("shardId-0", {"g2": TICK}, TICK)
        g2_put = (TICK - timedelta(seconds=1)).timestamp()
        store.rule_state.put("put:task-1", note_doc(TICK.timestamp(), TICK.timestamp(), {"g2": g2_put}))
        # When the scheduler runs the tick
        schedule_handler(load_event("eventbridge_scheduled.json"), lambda_context)
        # Then g1 holds no more (70 minutes > the 60-minute bound): the rules may judge up to the tick
        (msg,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert json.loads(msg["Body"])["decoded_until"] == "2026-11-23T02:59:58+00:00"
        held = store.rule_state.get(HELD)
        assert held is not None and held["groups"] == {}
        # And it said so: a warning naming the group, its put and how far it was decoded, and the EMF count
        (warning,) = [r for r in caplog.records if r.getMessage() == "decode hold released"]
        got = (warning.levelname, warning.group, warning.put, warning.decoded)  # type: ignore[attr-defined]
        assert got == ("WARNING", "g1", put.isoformat(), stuck.isoformat())
        assert ("DecodeHoldReleased", 1) in counted


@pytest.mark.usefixtures("fake_aws_env", "clean_wiring")
def test_scheduler_without_a_queue_fails_loudly(tmp_path: Path, lambda_context: Any) -> None:
    from monitoring.errors import InvalidInputError

    _wire(tmp_path)
    with pytest.raises(InvalidInputError, match="RULES_SHARD_QUEUE_URL"):
        schedule_handler(load_event("eventbridge_scheduled.json"), lambda_context)


@pytest.mark.usefixtures("clean_wiring")
def test_worker_evaluates_only_its_shard_and_skips_a_tick_it_already_did(tmp_path: Path, lambda_context: Any) -> None:
    store = _wire(tmp_path)
    b.seed_jurisdictions(store.registry)
    for eid in ("e1", "e2"):
        _enterprise(store, eid)
    first = Shard("rugao", 0, 2, TICK, ("e1",))
    # When shard 0 of the tick is evaluated
    assert shard_handler(_sqs_event(first.to_message()), lambda_context) == {"batchItemFailures": []}
    # Then only its enterprise was evaluated: e1 has its alarm, e2 none
    alarms = _wiring.get_store().alarms.list()
    assert [(a.enterprise_id, a.rule) for a in alarms] == [("e1", "control_stopped")]
    assert alarms[0].created_at == TICK
    # And a redelivery of the same tick is recognised as done and changes nothing
    assert evaluate_shard(first) == {"superseded": True}
    shard_handler(_sqs_event(first.to_message()), lambda_context)
    assert len(_wiring.get_store().alarms.list()) == 1
    # When shard 1 runs, e2 gets its alarm at the same tick
    shard_handler(_sqs_event(Shard("rugao", 1, 2, TICK, ("e2",)).to_message()), lambda_context)
    assert sorted((a.enterprise_id, a.created_at) for a in _wiring.get_store().alarms.list()) == [
        ("e1", TICK),
        ("e2", TICK),
    ]


@pytest.mark.usefixtures("clean_wiring")
def test_shards_reach_the_same_alarms_as_one_runner(tmp_path: Path, lambda_context: Any) -> None:
    # Given the same county evaluated once by the single runner and once as two shards
    def alarms(path: Path, sharded: bool) -> list[tuple[str, str, datetime, str]]:
        store = _wire(path)
        b.seed_jurisdictions(store.registry)
        for eid in ("e1", "e2", "e3"):
            _enterprise(store, eid)
        if sharded:
            for shard in (Shard("rugao", 1, 2, TICK, ("e3",)), Shard("rugao", 0, 2, TICK, ("e1", "e2"))):
                shard_handler(_sqs_event(shard.to_message()), lambda_context)
        else:
            single_runner(load_event("eventbridge_scheduled.json"), lambda_context)
        found = [(a.enterprise_id, a.rule, a.created_at, a.state.value) for a in _wiring.get_store().alarms.list()]
        _wiring.get_store().close()
        return sorted(found)

    one = alarms(tmp_path / "one", sharded=False)
    (tmp_path / "two").mkdir()
    assert one and alarms(tmp_path / "two", sharded=True) == one


@pytest.mark.usefixtures("clean_wiring")
def test_worker_fails_unreadable_messages_and_evaluates_the_rest(tmp_path: Path, lambda_context: Any) -> None:
    store = _wire(tmp_path)
    b.seed_jurisdictions(store.registry)
    _enterprise(store, "e1")
    good = Shard("rugao", 0, 1, TICK, ("e1",)).to_message()
    event = _sqs_event("not json", {"county": "rugao"}, good)
    assert shard_handler(event, lambda_context) == {
        "batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]
    }
    assert [a.enterprise_id for a in _wiring.get_store().alarms.list()] == ["e1"]


@pytest.mark.usefixtures("fake_aws_env")
def test_shard_queue_outage_is_a_store_outage_so_the_scheduler_run_is_retried() -> None:
    from functions.adapters.sqs_shards import SqsShardQueue
    from monitoring.errors import StorageUnavailableError

    with mock_aws():
        url = f"https://sqs.{REGION}.amazonaws.com.cn/123456789012/missing.fifo"
        with pytest.raises(StorageUnavailableError, match="rule shard queue"):
            SqsShardQueue(url, region=REGION).send([Shard("rugao", 0, 1, TICK, ("e1",))])


@pytest.mark.usefixtures("fake_aws_env")
def test_shards_of_one_county_share_nothing_but_each_keeps_its_own_group() -> None:
    from functions.adapters.sqs_shards import entry

    a, b2 = Shard("rugao", 0, 2, TICK, ("e1",)), Shard("rugao", 1, 2, TICK, ("e2",))
    later = Shard("rugao", 0, 2, TICK + timedelta(minutes=1), ("e1",))
    ea, eb, el = entry(0, a), entry(1, b2), entry(2, later)
    assert ea["MessageGroupId"] != eb["MessageGroupId"] and ea["MessageGroupId"] == el["MessageGroupId"]
    assert len({ea["MessageDeduplicationId"], eb["MessageDeduplicationId"], el["MessageDeduplicationId"]}) == 3
    assert all(len(e["MessageGroupId"]) <= 128 and len(e["MessageDeduplicationId"]) <= 128 for e in (ea, eb, el))


@pytest.mark.usefixtures("fake_aws_env")
def test_fan_out_end_to_end_on_the_aws_wiring(monkeypatch: pytest.MonkeyPatch, lambda_context: Any) -> None:
    # Given the AWS wiring from its environment: DynamoDB tables and the FIFO shard queue (moto)
    from monitoring.storage.dynamodb import open_store

    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Gongkuang")
    clock = FixedClock(TICK)
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="rule-shards.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        store = open_store(region=REGION, table_prefix="gk", clock=clock, create_tables=True)
        env = {
            "STORE_BACKEND": "dynamodb",
            "DYNAMODB_TABLE_PREFIX": "gk",
            "AWS_REGION": REGION,
            "RULES_SHARD_QUEUE_URL": url,
            "RULES_SHARD_ENTERPRISES": "2",
        }
        _wiring.configure(_wiring.settings_from_env(env), clock=clock)
        forget_plan()
        try:
            b.seed_jurisdictions(store.registry)
            for eid in ("e1", "e2", "e3"):
                _enterprise(store, eid)
            # When the scheduler runs and every message it sent is handed to the worker, as Lambda would
            assert schedule_handler(load_event("eventbridge_scheduled.json"), lambda_context)["shards"] == 2
            handled = 0
            for _ in range(5):
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
                for m in got:
                    event = _sqs_event(json.loads(m["Body"]))
                    assert shard_handler(event, lambda_context) == {"batchItemFailures": []}
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    handled += 1
            # Then every enterprise of the county has its alarm, at the scheduled minute, once
            alarms = _wiring.get_store().alarms.list()
            assert handled == 2
            assert sorted((a.enterprise_id, a.rule, a.created_at) for a in alarms) == [
                (eid, "control_stopped", TICK) for eid in ("e1", "e2", "e3")
            ]
        finally:
            _wiring.configure(None)
            forget_plan()
            store.close()
