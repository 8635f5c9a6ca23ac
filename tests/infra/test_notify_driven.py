"""The sender driven by what is enqueued: exactly the enqueuing functions may invoke NotifySend (its ARN only) and
know its name; NotifySend keeps one run at a time, a safety-net schedule each minute, and drops stale invokes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
SENDER = "functions.notify_send.handler"
ENQUEUERS = {
    "functions.on_alarm_change_notify.handler",  # NotifyOnAlarm (stream) and NotifyDecide (schedule)
    "functions.every_fifteen_minutes_maintenance_reminders.handler",
}


def _actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_exactly_the_enqueuers_may_invoke_the_sender_and_know_its_name(synthesized: Synthesized, stage: str) -> None:
    functions = synthesized.resources(stage, "AWS::Lambda::Function")
    (sender,) = [k for k, r in functions.items() if r["Properties"]["Handler"] == SENDER]
    role_of = {r["Properties"]["Role"]["Fn::GetAtt"][0]: k for k, r in functions.items()}
    invokers: set[str] = set()
    for policy in synthesized.properties(stage, "AWS::IAM::Policy"):
        for statement in policy["PolicyDocument"]["Statement"]:
            if "lambda:InvokeFunction" in _actions(statement) and sender in json.dumps(statement["Resource"]):
                assert statement["Resource"] == {"Fn::GetAtt": [sender, "Arn"]}  # no ":*" versions, no other function
                assert _actions(statement) == ["lambda:InvokeFunction"]
                invokers |= {role_of[r["Ref"]] for r in policy["Roles"] if r["Ref"] in role_of}
    assert len(invokers) == 3
    assert {functions[k]["Properties"]["Handler"] for k in invokers} == ENQUEUERS
    for key, resource in functions.items():
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        if key in invokers:
            assert variables["NOTIFY_SEND_FUNCTION"] == {"Ref": sender}
        else:
            assert "NOTIFY_SEND_FUNCTION" not in variables, resource["Properties"].get("Handler")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_sender_runs_alone_with_a_minute_safety_net_and_drops_stale_invokes(
    synthesized: Synthesized, stage: str
) -> None:
    functions = synthesized.resources(stage, "AWS::Lambda::Function")
    (sender,) = [k for k, r in functions.items() if r["Properties"]["Handler"] == SENDER]
    assert functions[sender]["Properties"]["ReservedConcurrentExecutions"] == 1  # one sender at a time
    (config,) = [
        p
        for p in synthesized.properties(stage, "AWS::Lambda::EventInvokeConfig")
        if p["FunctionName"] == {"Ref": sender}
    ]
    assert config["MaximumRetryAttempts"] == 0 and config["MaximumEventAgeInSeconds"] == 300
    schedules = [
        r["ScheduleExpression"]
        for r in synthesized.properties(stage, "AWS::Events::Rule")
        if r.get("Targets", [{}])[0].get("Arn") == {"Fn::GetAtt": [sender, "Arn"]}
    ]
    assert schedules == ["rate(1 minute)"]


@pytest.mark.parametrize("stage", ["dev", "county"])
def test_the_senders_queued_invokes_raise_no_throttle_alarm_but_dropped_ones_do(
    synthesized: Synthesized, stage: str
) -> None:
    functions = synthesized.resources(stage, "AWS::Lambda::Function")
    (sender,) = [k for k, r in functions.items() if r["Properties"]["Handler"] == SENDER]
    alarms = synthesized.properties(stage, "AWS::CloudWatch::Alarm")
    on_sender = [
        (a.get("MetricName"), a.get("AlarmDescription"))
        for a in alarms
        if {"Name": "FunctionName", "Value": {"Ref": sender}} in a.get("Dimensions", [])
    ]
    if stage == "dev":  # an alarm per function: the sender's errors and its dropped invokes, not its throttles
        assert sorted(str(name) for name, _ in on_sender) == ["AsyncEventsDropped", "Errors"]
        return
    (throttles,) = [a for a in alarms if "Metrics" in a and "Throttles" in json.dumps(a["Metrics"])]
    expression = next(m["Expression"] for m in throttles["Metrics"] if "Expression" in m)
    by_id = {m["Id"]: m["MetricStat"]["Metric"] for m in throttles["Metrics"] if "MetricStat" in m}
    total = next(i for i, m in by_id.items() if not m.get("Dimensions"))
    (queued,) = [
        i for i, m in by_id.items() if {"Name": "FunctionName", "Value": {"Ref": sender}} in m.get("Dimensions", [])
    ]
    assert expression.replace(" ", "") == f"{total}-{queued}"
