"""The downlink command state machine: 9011 → data → 9012, retries by OverTime/ReCount, failures, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iot_ingest.commands import CommandTracker
from iot_ingest.ports import Command, CommandStatus

pytestmark = pytest.mark.unit
WALL = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _tracker(**kw: object) -> CommandTracker:
    qns = iter(f"QN{i}" for i in range(100))
    return CommandTracker(build=lambda c, qn: f"{c.cn}:{qn}".encode(), new_qn=lambda: next(qns), **kw)  # type: ignore[arg-type]


def _statuses(steps: list) -> list[CommandStatus]:  # type: ignore[type-arg]
    return [u.status for s in steps for u in s.updates]


def test_tracker_full_round_trip_collects_data_and_succeeds() -> None:
    # Given a pull of minute history
    t = _tracker()
    t.offer(Command("c1", "MN1", "2051", {"BeginTime": "20261128000000", "EndTime": "20261128010000"}))
    # When it is sent, accepted, answered with two data frames and a 9012 ExeRtn=1
    s1 = t.poll(0.0, WALL)
    s2 = t.on_frame(cn="9011", qn="QN0", scalars={"QnRtn": "1"}, items={}, now=1.0)
    t.on_frame(cn="2051", qn="X1", scalars={"DataTime": "20261128000000"}, items={"Ia": {"Avg": "1"}}, now=2.0)
    t.on_frame(cn="2051", qn="X2", scalars={"DataTime": "20261128000100"}, items={}, now=3.0)
    s3 = t.on_frame(cn="9012", qn="QN0", scalars={"ExeRtn": "1"}, items={}, now=4.0)
    # Then the frame went out once and the statuses are sent → accepted → succeeded with the data
    assert s1.send == b"2051:QN0"
    assert _statuses([s1, s2, s3]) == [CommandStatus.SENT, CommandStatus.ACCEPTED, CommandStatus.SUCCEEDED]
    final = s3.updates[-1]
    assert final.result["frames"] == 2 and final.result["cp"][0]["Ia"] == {"Avg": "1"}
    assert t.idle


def test_tracker_resends_after_overtime_then_times_out_after_recount() -> None:
    t = _tracker(over_time=10.0, re_count=3)
    t.offer(Command("c1", "MN1", "1062", {"RtdInterval": "30"}))
    sends = [t.poll(0.0, WALL).send]
    for now in (9.9, 10.0, 20.0, 30.0):
        sends.append(t.poll(now, WALL).send)
    final = t.poll(40.0, WALL)
    # First send + 3 resends with the same QN, nothing at 9.9 s, then timed out
    assert sends == [b"1062:QN0", None, b"1062:QN0", b"1062:QN0", b"1062:QN0"]
    assert final.updates[-1].status is CommandStatus.TIMED_OUT and final.updates[-1].attempts == 4


def test_tracker_execution_timeout_after_acceptance() -> None:
    t = _tracker(over_time=10.0)
    t.offer(Command("c1", "MN1", "2051"))
    t.poll(0.0, WALL)
    t.on_frame(cn="9011", qn="QN0", scalars={"QnRtn": "1"}, items={}, now=1.0)
    assert t.poll(10.5, WALL).updates == []
    assert t.poll(11.0, WALL).updates[-1].status is CommandStatus.TIMED_OUT


@pytest.mark.parametrize(
    ("cn", "scalars", "status", "detail"),
    [
        ("9011", {"QnRtn": "3"}, CommandStatus.REJECTED, "QnRtn=3"),
        ("9012", {"ExeRtn": "2"}, CommandStatus.FAILED, "ExeRtn=2"),
    ],
)
def test_tracker_refusal_rejects_and_failed_execution_fails(
    cn: str, scalars: dict[str, str], status: CommandStatus, detail: str
) -> None:
    t = _tracker()
    t.offer(Command("c1", "MN1", "1072", {"NewPW": "654321"}))
    t.poll(0.0, WALL)
    step = t.on_frame(cn=cn, qn="QN0", scalars=scalars, items={}, now=1.0)
    update = step.updates[-1]
    assert update.status is status and update.detail == detail and update.previous is CommandStatus.SENT
    assert (update.qn_rtn or update.exe_rtn) == next(iter(scalars.values()))


def test_tracker_uses_qn_assigned_by_the_store() -> None:
    t = _tracker()
    t.offer(Command("c1", "MN1", "1012", qn="20261128180000123"))
    step = t.poll(0.0, WALL)
    assert step.send == b"1012:20261128180000123" and step.updates[0].qn == "20261128180000123"
    assert step.updates[0].previous is CommandStatus.PENDING


def test_tracker_2005_reply_with_qn_in_cp_matches() -> None:
    t = _tracker()
    t.offer(Command("c1", "MN1", "1012"))
    t.poll(0.0, WALL)
    step = t.on_frame(cn="9012", qn=None, scalars={"QN": "QN0", "ExeRtn": "1"}, items={}, now=1.0)
    assert step.updates[-1].status is CommandStatus.SUCCEEDED


def test_tracker_notification_answered_with_9013_succeeds() -> None:
    t = _tracker()
    t.offer(Command("c1", "MN1", "2012"))
    t.poll(0.0, WALL)
    assert t.on_frame(cn="9013", qn="QN0", scalars={}, items={}, now=1.0).updates[-1].status is CommandStatus.SUCCEEDED


def test_tracker_reply_with_other_qn_is_ignored() -> None:
    t = _tracker()
    t.offer(Command("c1", "MN1", "1012"))
    t.poll(0.0, WALL)
    assert t.on_frame(cn="9012", qn="OTHER", scalars={"ExeRtn": "1"}, items={}, now=1.0).updates == []


def test_tracker_one_command_in_flight_next_starts_after_finish() -> None:
    t = _tracker()
    t.offer(Command("a", "MN1", "1012"))
    t.offer(Command("b", "MN1", "1062"))
    assert not t.offer(Command("a", "MN1", "1012"))  # already queued: a stale poll must not duplicate it
    assert t.poll(0.0, WALL).send == b"1012:QN0"
    assert t.poll(1.0, WALL).send is None
    t.on_frame(cn="9012", qn="QN0", scalars={"ExeRtn": "1"}, items={}, now=1.0)
    assert t.poll(1.0, WALL).send == b"1062:QN1"
    assert not t.offer(Command("a", "MN1", "1012"))  # just finished: not resent


def test_tracker_expired_command_is_not_sent() -> None:
    t = _tracker()
    t.offer(Command("c1", "MN1", "1012", expires_at=WALL - timedelta(seconds=1)))
    step = t.poll(0.0, WALL)
    assert step.send is None and step.updates[-1].status is CommandStatus.EXPIRED


def test_tracker_disconnect_returns_command_in_flight_to_pending() -> None:
    t = _tracker()
    t.offer(Command("c1", "MN1", "1012"))
    t.poll(0.0, WALL)
    step = t.on_disconnect()
    assert step.updates[-1].status is CommandStatus.PENDING and t.idle


def test_tracker_internal_command_writes_nothing_back() -> None:
    t = _tracker()
    t.offer(Command("auto", "MN1", "1012"), internal=True)
    step = t.poll(0.0, WALL)
    assert step.send == b"1012:QN0" and step.updates == []
    done = t.on_frame(cn="9012", qn="QN0", scalars={"ExeRtn": "1"}, items={}, now=1.0)
    assert done.updates == [] and done.finished[0][1] is CommandStatus.SUCCEEDED
