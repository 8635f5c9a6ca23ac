"""The request flow back to back: the platform's `Request` against the terminal's `Answer` and `Upload`.

In the manner of h11's client/server pair tests, every frame one side emits is built to bytes, decoded by the
other side's own StreamDecoder (`Pair`) and fed to its state machine; OverTime and ReCount run on a fake `now`.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from hj212 import CN, Frame, QnGenerator, UsageError, Version, build_frame, commands, data_ack
from hj212.contract import CommandStatus
from hj212.session import Answer, Change, Reply, Request, Upload, is_reply

from .helpers import Pair

pytestmark = pytest.mark.unit

MN, PW = "010000A8900016F000169DC0", "123456"
T0, T1 = datetime(2026, 11, 28, 8, 0), datetime(2026, 11, 28, 8, 2)
S = CommandStatus


def _reply(reply: Reply, version: Version = Version.V2017) -> bytes:
    return build_frame(st="91", cn=reply.cn, mn=MN, pw=PW, qn=reply.qn, version=version, cp=reply.cp)


def _feed(request: Request, frame: Frame, now: float) -> Change | None:
    return request.receive(frame.cn, frame.qn, frame.cp.scalars, now)


def test_history_pull_accepted_data_acknowledged_then_succeeded() -> None:
    pair, qns = Pair(), QnGenerator()
    # Given the platform's request for two minutes of history
    request = Request(CN.MINUTE_DATA, "20261128100000000", over_time=10, re_count=3)
    wire = commands.get_minute_data(T0, T1, mn=MN, pw=PW, qn=request.qn)
    assert request.send(0.0).status is S.SENT
    # When the terminal accepts it, uploads each minute with Flag A=1 and then reports the result
    asked = pair.to_terminal(wire)
    answer = Answer(asked.cn, asked.qn)
    accepted = _feed(request, pair.to_platform(_reply(answer.accept())), 1.0)
    uploads = []
    for i, minute in enumerate((T0, T1)):
        upload = Upload(qns.next(datetime(2026, 11, 28, 10, 0, i)), over_time=10, re_count=3)
        packet = build_frame(st="32", cn=CN.MINUTE_DATA, mn=MN, pw=PW, qn=upload.qn, ack=True,
                             cp={"DataTime": f"{minute:%Y%m%d%H%M%S}", "Ia": {"Avg": "1.5"}})  # fmt: skip
        upload.send(2.0 + i)
        seen = pair.to_platform(packet)
        uploads.append((_feed(request, seen, 2.0 + i), upload.receive(*_cn_qn(pair.to_terminal(data_ack(seen))))))
    result = _feed(request, pair.to_platform(_reply(answer.finish(1))), 5.0)
    # Then the platform saw accepted → two data frames → succeeded, and each upload got its 9014
    assert accepted is not None and accepted.status is S.ACCEPTED and accepted.qn_rtn == "1"
    assert [(c and (c.data, c.status), acked) for c, acked in uploads] == [((True, S.ACCEPTED), True)] * 2
    assert result is not None and result.status is S.SUCCEEDED and result.exe_rtn == "1"
    assert request.poll(1e9) is None and answer.state == "done"


def _cn_qn(frame: Frame) -> tuple[str | None, str | None]:
    return frame.cn, frame.qn


def test_a_notification_is_acknowledged_with_9013() -> None:
    pair = Pair()
    request = Request(CN.STOP_REALTIME_DATA, "20261128100000001")
    request.send(0.0)
    asked = pair.to_terminal(commands.stop_realtime_data(mn=MN, pw=PW, qn=request.qn))
    answer = Answer(asked.cn, asked.qn)
    assert answer.notification
    change = _feed(request, pair.to_platform(_reply(answer.acknowledge())), 1.0)
    assert change == Change(S.SUCCEEDED, "notification answered (9013)")


@pytest.mark.parametrize(("code", "status"), [(3, S.REJECTED), (8, S.REJECTED)])
def test_a_refusal_rejects_the_request(code: int, status: CommandStatus) -> None:
    pair = Pair()
    request = Request(CN.SET_PASSWORD, "20261128100000002")
    request.send(0.0)
    asked = pair.to_terminal(commands.set_password("654321", mn=MN, pw="wrong1", qn=request.qn))
    change = _feed(request, pair.to_platform(_reply(Answer(asked.cn, asked.qn).refuse(code))), 1.0)
    assert change == Change(status, f"QnRtn={code}", qn_rtn=str(code))


def test_failed_execution_and_unreadable_codes() -> None:
    request = Request(CN.SET_FIELD_TIME, "20261128100000003")
    request.send(0.0)
    assert request.receive(CN.REQUEST_REPLY, request.qn, {}, 1.0) == Change(S.REJECTED, "QnRtn=?", qn_rtn="")
    request = Request(CN.SET_FIELD_TIME, "20261128100000004")
    request.send(0.0)
    request.receive(CN.REQUEST_REPLY, request.qn, {"QnRtn": "1"}, 1.0)
    failed = request.receive(CN.EXECUTION_RESULT, request.qn, {"ExeRtn": "2"}, 2.0)
    assert failed is not None and (failed.status, failed.exe_rtn) == (S.FAILED, "2")
    again = Request(CN.SET_FIELD_TIME, "20261128100000005")
    again.send(0.0)
    again.receive(CN.REQUEST_REPLY, again.qn, {"QnRtn": "1"}, 1.0)
    assert again.receive(CN.EXECUTION_RESULT, again.qn, {}, 2.0) == Change(S.FAILED, "ExeRtn=?", exe_rtn="")


def test_lost_requests_are_resent_with_the_same_qn_then_time_out() -> None:
    # Given a request whose 9011 never arrives (表1: OverTime 10 s, ReCount 2)
    pair = Pair()
    request = Request(CN.GET_RTD_INTERVAL, "20261128100000006", over_time=10, re_count=2)
    wire = commands.get_rtd_interval(mn=MN, pw=PW, qn=request.qn)
    request.send(0.0)
    seen = [pair.to_terminal(wire).qn]
    changes = []
    for now in (9.9, 10.0, 19.9, 20.0, 30.0):
        change = request.poll(now)
        changes.append(None if change is None else (change.status, change.resend, change.detail))
        if change is not None and change.resend:
            seen.append(pair.to_terminal(wire).qn)
    # Then it went out three times with one QN, and timed out after the last OverTime
    assert seen == [request.qn] * 3 and request.attempts == 3
    assert changes == [
        None,
        (S.SENT, True, "resent (attempt 2)"),
        None,
        (S.SENT, True, "resent (attempt 3)"),
        (S.TIMED_OUT, False, "no 9011 after 3 sends"),
    ]
    assert request.receive(CN.REQUEST_REPLY, request.qn, {"QnRtn": "1"}, 31.0) is None  # too late: final


def test_accepted_but_silent_execution_times_out_and_data_restarts_the_timer() -> None:
    request = Request(CN.HOUR_DATA, "20261128100000007", over_time=10)
    request.send(0.0)
    request.receive(CN.REQUEST_REPLY, request.qn, {"QnRtn": "1"}, 1.0)
    data = request.receive(CN.HOUR_DATA, "20261128100000999", {"DataTime": "20261128080000"}, 10.0)
    assert data is not None and data.data
    assert request.poll(19.9) is None
    timed_out = request.poll(20.0)
    assert timed_out is not None and (timed_out.status, timed_out.detail) == (
        S.TIMED_OUT,
        "no data or 9012 within 10 s",
    )


def test_frames_about_something_else_change_nothing() -> None:
    request = Request(CN.SET_FIELD_TIME, "20261128100000008")
    assert request.receive(CN.REQUEST_REPLY, request.qn, {"QnRtn": "1"}, 0.0) is None  # not sent yet
    request.send(0.0)
    assert request.receive(None, request.qn, {}, 1.0) is None
    assert request.receive(CN.REQUEST_REPLY, "20261128100000000", {"QnRtn": "1"}, 1.0) is None  # another QN
    assert request.receive(CN.DATA_ACK, request.qn, {}, 1.0) is None
    assert request.receive(CN.REALTIME_DATA, "20261128100000009", {}, 1.0) is None
    request.receive(CN.REQUEST_REPLY, request.qn, {"QnRtn": "1"}, 1.0)
    assert request.receive(CN.REQUEST_REPLY, request.qn, {"QnRtn": "1"}, 2.0) is None  # a repeated 9011
    with pytest.raises(UsageError):
        request.send(3.0)


def test_a_2005_reply_carries_the_qn_in_its_data_area() -> None:
    pair = Pair()
    request = Request(CN.SET_FIELD_TIME, "20261128100000010")
    request.send(0.0)
    reply = build_frame(st="91", cn=CN.REQUEST_REPLY, mn=MN, pw=PW, version=Version.V2005,
                        cp=f"QN={request.qn};QnRtn=1")  # fmt: skip
    change = _feed(request, pair.to_platform(reply), 1.0)
    assert change is not None and change.status is S.ACCEPTED


def test_an_unacknowledged_upload_is_resent_then_given_up() -> None:
    # Given a terminal upload whose 9014 is lost (OverTime 5 s, ReCount 1)
    pair = Pair()
    upload = Upload("20261128100000011", over_time=5, re_count=1)
    packet = build_frame(st="32", cn=CN.REALTIME_DATA, mn=MN, pw=PW, qn=upload.qn, ack=True, cp={"Ia": {"Rtd": "1"}})
    upload.send(0.0)
    platform_seen = [pair.to_platform(packet)]
    # When OverTime passes twice without an answer
    resent = [upload.poll(now) for now in (4.9, 5.0, 9.9, 10.0)]
    # Then the frame went out once more and the terminal gave up (the link is unusable, §6.4)
    assert resent == [False, True, False, False] and upload.gave_up and upload.attempts == 2
    late = pair.to_terminal(data_ack(platform_seen[0]))
    assert not upload.receive(late.cn, late.qn) and not upload.poll(99.0)


def test_an_upload_is_acknowledged_only_by_its_own_9014() -> None:
    upload = Upload("20261128100000012", over_time=5, re_count=3)
    upload.send(0.0)
    assert not upload.receive(CN.DATA_ACK, "20261128100000000")
    assert not upload.receive(CN.REQUEST_REPLY, upload.qn)
    assert upload.receive(CN.NOTICE_REPLY, upload.qn) and upload.acked
    assert not upload.receive(CN.DATA_ACK, upload.qn) and not upload.poll(99.0)
    with pytest.raises(UsageError):
        upload.send(1.0)


def test_answers_follow_the_flow_or_refuse() -> None:
    answer = Answer(CN.SET_RTD_INTERVAL, "20261128100000013")
    with pytest.raises(UsageError):
        answer.finish(1)  # no 9012 before 9011
    with pytest.raises(UsageError):
        answer.refuse(1)  # QnRtn=1 is acceptance
    with pytest.raises(UsageError):
        answer.acknowledge()  # a request, not a notification
    assert answer.accept() == Reply(CN.REQUEST_REPLY, answer.qn, "QnRtn=1")
    with pytest.raises(UsageError):
        answer.accept()
    assert answer.finish(100) == Reply(CN.EXECUTION_RESULT, answer.qn, "ExeRtn=100")


def test_replies_are_recognised_by_cn() -> None:
    assert [is_reply(cn) for cn in (CN.REQUEST_REPLY, CN.EXECUTION_RESULT, CN.NOTICE_REPLY, CN.DATA_ACK, None)] == [
        True,
        True,
        True,
        False,
        False,
    ]
