"""on_frame_batch.handler with Kinesis event fixtures against a real sqlite store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions import _wiring
from functions.on_frame_batch import handler
from monitoring.errors import StorageUnavailableError
from monitoring.events.models import EventKind
from monitoring.ingest.isolate import Poison
from monitoring.readings.models import ReadingKind
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.ports import Store
from tests.fixtures.events import load_event

pytestmark = pytest.mark.integration

MN = "88888880000001"
DAY = (datetime(2026, 11, 27, 16, tzinfo=UTC), datetime(2026, 11, 28, 16, tzinfo=UTC))


def _register(store: Store) -> None:
    store.registry.put_terminal(Terminal(mn=MN, county_id="rugao", password_hash=hash_password("123456", n=2)))
    for ch in ("01", "02"):
        point = MonitoringPoint(
            point_id=f"pt-{ch}",
            enterprise_id="e1",
            facility_id="f1",
            point_code=f"320682-{ch}",
            name=f"回路{ch}",
            role=FacilityKind.CONTROL,
            mn=MN,
            channel=ch,
        )
        store.registry.put_point(point)


def test_handler_with_frame_batch_stores_readings_events_and_reports_no_failure(
    wired_store: Store, lambda_context: Any
) -> None:
    # Given a registered terminal with two bound circuits
    _register(wired_store)
    # When the Kinesis batch (real-time, ST=44 minute data, SOE) is handled
    response = handler(load_event("kinesis_frame_batch.json"), lambda_context)
    # Then nothing failed, and readings, the SOE and the archive are in sqlite
    assert response == {"batchItemFailures": []}
    realtime = wired_store.readings.readings("pt-01", ReadingKind.REALTIME, *DAY)
    assert [dict(r.values) for r in realtime] == [{"ua": 231.2, "ia": 12.5, "p": 8.1, "ep_fwd": 1520.25}]
    assert realtime[0].raw["THD_Ua01"] == {"Rtd": "2.5"}
    minute = wired_store.readings.readings("pt-01", ReadingKind.MINUTE, *DAY)
    assert dict(minute[0].values) == {"p": 8.0, "ep_fwd": 1520.3}
    assert wired_store.readings.readings("pt-02", ReadingKind.REALTIME, *DAY)[0].values["ia"] == 3.1
    (event,) = wired_store.events.events_for_point("pt-01", *DAY)
    assert event.kind is EventKind.POWER_LOSS and event.occurred_at.microsecond == 457000
    assert wired_store.archive.verify(MN).ok and wired_store.archive.verify(MN).checked == 3
    terminal = wired_store.registry.get_terminal(MN)
    assert terminal.gps is not None and terminal.gps.lat == 32.39


class ListDeadLetters:
    """The DeadLetters port on a list (the local queue and SQS implementations have their own tests)."""

    def __init__(self) -> None:
        self.poison: list[Poison] = []

    def set_aside(self, poison: Sequence[Poison]) -> None:
        self.poison.extend(poison)


def test_handler_with_mixed_batch_sets_the_unparseable_record_aside_and_stores_the_rest(
    wired_store: Store, lambda_context: Any
) -> None:
    # Given a batch with a record that is not a frame record, and a dead-letter sink
    _register(wired_store)
    dead = ListDeadLetters()
    _wiring.use_dead_letters(dead)
    event = load_event("kinesis_frame_batch_mixed.json")
    # When it is handled
    response = handler(event, lambda_context)
    # Then the garbage record is set aside with its reason, nothing blocks the shard, and the rest is stored
    assert response == {"batchItemFailures": []}
    (poison,) = dead.poison
    assert poison.item_id == event["Records"][1]["kinesis"]["sequenceNumber"]
    assert poison.data == b"this is not a frame record" and "not JSON" in poison.error
    assert wired_store.archive.head("99999990000009") is not None
    kinds = {e.kind for e in wired_store.events.events_for_mn("99999990000009", *DAY)}
    assert kinds == {EventKind.UNREGISTERED_SEEN}
    assert {e.kind for e in wired_store.events.events_for_mn(MN, *DAY)} == {EventKind.AUTH_FAILURE}


def test_handler_without_dead_letters_reports_poison_as_batch_item_failures(
    wired_store: Store, lambda_context: Any
) -> None:
    _register(wired_store)
    event = load_event("kinesis_frame_batch_mixed.json")
    response = handler(event, lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["kinesis"]["sequenceNumber"]}]}


def test_handler_with_store_unavailable_for_one_record_fails_the_whole_batch_for_retry(
    wired_store: Store, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a registry that cannot be read for one terminal (a store outage, not the record's fault)
    _register(wired_store)
    dead = ListDeadLetters()
    _wiring.use_dead_letters(dead)
    original = wired_store.registry.find_terminal

    def flaky(mn: str) -> Any:
        if mn == "99999990000009":
            raise StorageUnavailableError("registry unreachable")
        return original(mn)

    monkeypatch.setattr(wired_store.registry, "find_terminal", flaky)
    event = load_event("kinesis_frame_batch_mixed.json")
    # When the batch is handled, Then it raises (the whole batch is retried) and nothing is set aside for it
    with pytest.raises(StorageUnavailableError):
        handler(event, lambda_context)
    assert dead.poison == []
    # And redelivering the whole batch once the store recovers stores each frame once
    monkeypatch.setattr(wired_store.registry, "find_terminal", original)
    assert handler(event, lambda_context) == {"batchItemFailures": []}
    assert len(wired_store.readings.readings("pt-01", ReadingKind.REALTIME, *DAY)) == 1
    assert wired_store.archive.verify(MN).checked == 2  # the ok frame and the auth_failed one, each once
    assert [p.data for p in dead.poison] == [b"this is not a frame record"]


def test_handler_with_a_record_that_breaks_the_batch_bisects_and_sets_only_it_aside(
    wired_store: Store, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch whose minute-data record trips a bug when its readings are written (a record-content bug)
    _register(wired_store)
    dead = ListDeadLetters()
    _wiring.use_dead_letters(dead)
    original = wired_store.readings.put_readings

    def buggy(readings: Sequence[Any]) -> Any:
        if any(r.kind is ReadingKind.MINUTE for r in readings):
            raise KeyError("EPf01-Cou")
        return original(readings)

    monkeypatch.setattr(wired_store.readings, "put_readings", buggy)
    event = load_event("kinesis_frame_batch.json")
    # When the batch is handled
    response = handler(event, lambda_context)
    # Then only that record is set aside, with the exception, and its neighbours are stored
    assert response == {"batchItemFailures": []}
    (poison,) = dead.poison
    assert poison.item_id == event["Records"][1]["kinesis"]["sequenceNumber"]
    assert poison.reason == "KeyError: 'EPf01-Cou'" and "Traceback" in poison.error
    assert [r.values["ua"] for r in wired_store.readings.readings("pt-01", ReadingKind.REALTIME, *DAY)] == [231.2]
    assert len(wired_store.events.events_for_point("pt-01", *DAY)) == 1
    assert wired_store.readings.readings("pt-01", ReadingKind.MINUTE, *DAY) == []


def test_handler_with_store_down_at_flush_fails_the_whole_batch(
    wired_store: Store, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(wired_store)

    def down(frames: Any) -> Any:
        raise StorageUnavailableError("disk full")

    monkeypatch.setattr(wired_store.archive, "append_many", down)
    with pytest.raises(StorageUnavailableError):
        handler(load_event("kinesis_frame_batch.json"), lambda_context)
    assert wired_store.readings.readings("pt-01", ReadingKind.REALTIME, *DAY) == []


def test_wiring_settings_from_env_rejects_bad_backend() -> None:
    with pytest.raises(Exception, match="STORE_BACKEND"):
        _wiring.settings_from_env({"STORE_BACKEND": "postgres"})
    settings = _wiring.settings_from_env({"STORE_BACKEND": "memory", "DECODE_ROLLUP": "false"})
    assert settings.store_backend == "memory" and settings.rollup is False
    assert timedelta(seconds=60) == settings.decode_settings().rollup_grace


@pytest.mark.usefixtures("fake_aws_env")
def test_handler_with_dynamodb_backend_under_moto_decodes_the_same_batch(lambda_context: Any) -> None:
    # Given the AWS wiring (STORE_BACKEND=dynamodb) and tables as the CDK stack would create them
    from moto import mock_aws

    from monitoring.clock import FixedClock
    from monitoring.storage.dynamodb import open_store

    with mock_aws():
        clock = FixedClock(datetime(2026, 11, 28, 10, 35, tzinfo=UTC))
        setup = open_store(region="cn-north-1", table_prefix="t", clock=clock, create_tables=True)
        _register(setup)
        settings = _wiring.settings_from_env(
            {"STORE_BACKEND": "dynamodb", "DYNAMODB_TABLE_PREFIX": "t", "AWS_REGION": "cn-north-1"}
        )
        _wiring.configure(settings, clock=clock)
        try:
            # When the handler runs on the Kinesis batch
            response = handler(load_event("kinesis_frame_batch.json"), lambda_context)
            # Then the readings are in DynamoDB
            assert response == {"batchItemFailures": []}
            realtime = setup.readings.readings("pt-01", ReadingKind.REALTIME, *DAY)
            assert [r.values["ua"] for r in realtime] == [231.2]
            assert setup.archive.verify(MN).checked == 3
        finally:
            _wiring.configure(None)


def test_handler_with_local_kinesis_event_and_empty_batch(wired_store: Store, lambda_context: Any) -> None:
    # Given records as local mode builds them (no Kinesis in between)
    from monitoring.ingest.records import kinesis_event

    _register(wired_store)
    data = [
        __import__("base64").b64decode(r["kinesis"]["data"]) for r in load_event("kinesis_frame_batch.json")["Records"]
    ]
    # When the same handler runs on the in-process event, and on an empty batch
    assert handler(kinesis_event(data), lambda_context) == {"batchItemFailures": []}
    assert handler({"Records": []}, lambda_context) == {"batchItemFailures": []}
    # Then the readings are there as if they came through Kinesis
    assert len(wired_store.readings.readings("pt-01", ReadingKind.REALTIME, *DAY)) == 1


@pytest.mark.parametrize(("delay", "marked"), [(timedelta(0), False), (timedelta(hours=6), True)])
def test_handler_with_late_backfill_reopens_the_rules_window(
    tmp_path: Any, lambda_context: Any, delay: timedelta, marked: bool
) -> None:
    # Given a store whose clock is `delay` after the batch's data time (10:33 UTC)
    from monitoring.clock import FixedClock
    from monitoring.rules.store_inputs import BACKFILL_PREFIX

    settings = _wiring.Settings(store_backend="sqlite", sqlite_path=str(tmp_path / "platform.db"))
    _wiring.configure(settings, clock=FixedClock(datetime(2026, 11, 28, 10, 35, tzinfo=UTC) + delay))
    try:
        store = _wiring.get_store()
        _register(store)
        # When the batch is decoded
        assert handler(load_event("kinesis_frame_batch.json"), lambda_context) == {"batchItemFailures": []}
        # Then only backfill (stored well after its data time) leaves a mark that makes the rules look back
        keys = _wiring.get_store().rule_state.keys(BACKFILL_PREFIX)
        assert bool(keys) is marked
        if marked:
            assert {_wiring.get_store().rule_state.get(k)["point"] for k in keys} == {"pt-01", "pt-02"}
        store.close()
    finally:
        _wiring.configure(None)
