"""every_minute_evaluate_rules and every_five_minutes_escalate with EventBridge fixtures on sqlite."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions import _wiring
from functions.every_five_minutes_escalate import handler as escalate_handler
from functions.every_minute_evaluate_rules import handler as evaluate_handler
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import FacilityKind
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.fixtures.events import load_event

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _seed(store: Store) -> None:
    reg = store.registry
    b.seed_jurisdictions(reg)
    reg.put_enterprise(b.enterprise("e1"))
    reg.put_facility(b.facility("f1", rated_power_kw=100.0))
    reg.put_facility(b.facility("f2", code="TA001", name="引风机", kind=FacilityKind.CONTROL, rated_power_kw=30.0))
    reg.put_point(b.point("p1", mn="MN0001"))
    reg.put_point(b.point("c1", facility_id="f2", role=FacilityKind.CONTROL, mn="MN0002"))
    reg.put_association(b.association("a1"))
    for pid, p in (("p1", 60.0), ("c1", 0.0)):
        rows = [
            Reading(pid, T0 + timedelta(minutes=i), ReadingKind.MINUTE, {"p": p}, received_at=T0 + timedelta(minutes=i))
            for i in range(120)
        ]
        store.readings.put_readings(rows)


def test_evaluate_handler_raises_alarm_at_the_scheduled_time_and_is_idempotent(
    wired_store: Store, lambda_context: Any
) -> None:
    # Given production running and its fan stopped since 01:00 UTC
    _seed(wired_store)
    event = load_event("eventbridge_scheduled.json")  # time 03:00Z
    # When the scheduled tick runs, and is delivered a second time
    first = evaluate_handler(event, lambda_context)
    second = evaluate_handler(event, lambda_context)
    # Then one stop alarm exists and the redelivery changed nothing
    assert first["enterprises"] == 1 and first["alarms_changed"] >= 1 and second["alarms_changed"] == 0
    alarms = _wiring.get_store().alarms.list()
    assert [a.rule for a in alarms] == ["control_stopped"] and alarms[0].created_at == datetime(
        2026, 11, 23, 3, tzinfo=UTC
    )


def test_escalate_handler_dispatches_unanswered_alarm_to_the_branch(wired_store: Store, lambda_context: Any) -> None:
    _seed(wired_store)
    evaluate_handler(load_event("eventbridge_scheduled.json"), lambda_context)
    event = load_event("eventbridge_scheduled.json") | {"time": "2026-11-23T05:05:00Z"}
    assert escalate_handler(event, lambda_context) == {"reminders": 3}
    (alarm,) = _wiring.get_store().alarms.list()
    assert alarm.state.value == "dispatched" and alarm.dispatched_to == "rugao-b1"


def _open_files(path: str) -> int:
    """How many descriptors this process holds on the database file itself (one per sqlite connection)."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if _target(fd) == path)


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:  # closed between listing and reading
        return ""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")
def test_decode_evaluation_and_escalation_share_one_sqlite_connection(
    wired_store: Store, lambda_context: Any, tmp_path: Path
) -> None:
    # Given the handlers' wiring on one sqlite file, every part of a warm container used once
    _seed(wired_store)
    _wiring.new_decoder()
    evaluate_handler(load_event("eventbridge_scheduled.json"), lambda_context)
    escalate_handler(load_event("eventbridge_scheduled.json") | {"time": "2026-11-23T05:05:00Z"}, lambda_context)
    # Then the file is open once: the store's single connection (the rules area has no second one)
    assert _open_files(str((tmp_path / "platform.db").resolve())) == 1


def test_evaluate_handler_in_aws_mode_judges_only_what_decode_got_to(wired_store: Store, lambda_context: Any) -> None:
    from functions.on_frame_batch import handler as decode_handler
    from monitoring.rules.state_docs import TickMark

    # Given the AWS setting, and decode that noted its shard through 02:40 (a batch of frames that arrived then)
    settings = _wiring.get_settings().model_copy(update={"rules_wait_for_decode": True})
    _wiring.configure(settings, clock=_wiring.get_clock())
    _seed(_wiring.get_store())
    batch = load_event("kinesis_frame_batch.json")
    for record in batch["Records"]:
        record["kinesis"]["approximateArrivalTimestamp"] = datetime(2026, 11, 23, 2, 40, 30, tzinfo=UTC).timestamp()
    assert decode_handler(batch, lambda_context) == {"batchItemFailures": []}
    state = _wiring.get_store().rule_state
    assert state.keys("decoded:shardId-000000000000:")  # this container's note of the shard
    # When the 03:00 tick runs
    evaluate_handler(load_event("eventbridge_scheduled.json"), lambda_context)
    # Then it judged up to 02:40 - settle, not 03:00 - settle
    mark = TickMark.load(state)
    assert mark.horizon == datetime(2026, 11, 23, 2, 38, tzinfo=UTC)


@pytest.mark.parametrize("lanes_setting", [2, 1])
def test_with_several_decode_lanes_the_rules_wait_for_the_slowest_lane_of_a_shard(
    wired_store: Store, lambda_context: Any, lanes_setting: int
) -> None:
    from functions.on_frame_batch import handler as decode_handler
    from monitoring.rules.state_docs import TickMark

    # Given the AWS setting with two decode lanes per shard (Lambda's parallelization factor 2); with the function's
    # DECODE_PARALLELIZATION 1 as while CloudFormation lowers it (the function is updated before the mapping)
    settings = _wiring.get_settings().model_copy(update={"rules_wait_for_decode": True, "decode_lanes": lanes_setting})
    _wiring.configure(settings, clock=_wiring.get_clock())
    _seed(_wiring.get_store())
    slow, fast = load_event("kinesis_frame_batch.json"), load_event("kinesis_frame_batch.json")
    slow["Records"], fast["Records"] = slow["Records"][:1], fast["Records"][1:]
    for batch, group, arrived in (
        (slow, "g2", datetime(2026, 11, 23, 2, 40, 30)),
        (fast, "g1", datetime(2026, 11, 23, 2, 50, 30)),
    ):
        for record in batch["Records"]:
            record["kinesis"]["partitionKey"] = group  # the listener's key: the MN's group
            record["kinesis"]["approximateArrivalTimestamp"] = arrived.replace(tzinfo=UTC).timestamp()
    # When the slow lane's batch (group g2, records that arrived at 02:40; later ones still wait) is decoded in one
    # container, and then the fast lane's (group g1, through 02:50) in another, of the same shard
    assert decode_handler(slow, lambda_context) == {"batchItemFailures": []}
    _wiring.get_decode_progress.cache_clear()  # another warm container
    assert decode_handler(fast, lambda_context) == {"batchItemFailures": []}
    state = _wiring.get_store().rule_state
    assert len(state.keys("decoded:shardId-000000000000:")) == 2
    # And the 03:00 tick runs
    evaluate_handler(load_event("eventbridge_scheduled.json"), lambda_context)
    # Then it judged up to the slow lane's 02:40 - settle, not the fast lane's 02:50 - settle
    assert TickMark.load(state).horizon == datetime(2026, 11, 23, 2, 38, tzinfo=UTC)
