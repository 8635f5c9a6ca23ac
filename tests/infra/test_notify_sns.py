"""SNS SMS (numbers outside the mainland): the sender gets the settings and may only Publish SMS in one region."""

from __future__ import annotations

from typing import Any

import pytest

from infra.settings import SettingsError, load_stage
from tests.infra.conftest import REUSE_NOTIFY, Synthesized

pytestmark = pytest.mark.infra


def _statements_of(synthesized: Synthesized, stage: str, role: str) -> list[dict[str, Any]]:
    return [
        s
        for p in synthesized.properties(stage, "AWS::IAM::Policy")
        if {"Ref": role} in p["Roles"]
        for s in p["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def _sns_statements(synthesized: Synthesized, stage: str) -> dict[str, list[dict[str, Any]]]:
    """Handler → its roles' statements naming an SNS action."""
    found: dict[str, list[dict[str, Any]]] = {}
    for props in synthesized.properties(stage, "AWS::Lambda::Function"):
        role = props["Role"]["Fn::GetAtt"][0]
        sns = [s for s in _statements_of(synthesized, stage, role) if any(a.startswith("sns:") for a in _actions(s))]
        if sns:
            found[props.get("Handler", "")] = sns
    return found


def test_only_the_sender_may_publish_and_only_sms_in_its_region(synthesized: Synthesized) -> None:
    # Given the reuse stage with an SNS region, When synthesized, Then only NotifySend's role names sns:
    found = _sns_statements(synthesized, "reuse")
    assert set(found) == {"functions.notify_send.handler"}
    statements = found["functions.notify_send.handler"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    # The allow: Publish only, on * (a phone number has no ARN), in the configured region only
    assert _actions(allow) == {"sns:Publish"} and allow["Resource"] == "*"
    assert allow["Condition"] == {"StringEquals": {"aws:RequestedRegion": REUSE_NOTIFY["notify_sns_region"]}}
    # The deny: every topic / platform endpoint ARN, so a leaked role cannot post to a topic
    assert _actions(deny) == {"sns:Publish"}
    assert deny["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sns:*:*:*"]]}


def test_the_sender_reads_the_sns_settings_from_its_environment(synthesized: Synthesized) -> None:
    (sender,) = [
        p
        for p in synthesized.properties("reuse", "AWS::Lambda::Function")
        if p.get("Handler") == "functions.notify_send.handler"
    ]
    env = sender["Environment"]["Variables"]
    assert env["NOTIFY_SNS_REGION"] == "ap-southeast-1" and env["NOTIFY_SNS_SENDER_ID"] == "Gongkuang"
    # functions/adapters/notify_channels.py adds the SNS channel from exactly these variables
    from functions.adapters.notify_channels import channels_from_aws
    from monitoring.notify.ports import ChannelKind

    channels = channels_from_aws({k: v for k, v in env.items() if k.startswith("NOTIFY_SNS_")})
    (sns,) = channels[ChannelKind.SNS_SMS]
    assert sns.provider == "sns"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stages_without_an_sns_region_grant_no_sns_at_all(synthesized: Synthesized, stage: str) -> None:
    assert _sns_statements(synthesized, stage) == {}
    for props in synthesized.properties(stage, "AWS::Lambda::Function"):
        if props.get("Handler", "").startswith("functions."):
            assert props["Environment"]["Variables"]["NOTIFY_SNS_REGION"] == ""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"notify_sns_region": "singapore"}, "bad notify_sns_region"),
        ({"notify_sns_region": "ap-southeast-1", "notify_sns_sender_id": "123"}, "sender ID"),
        ({"notify_sns_region": "ap-southeast-1", "notify_sns_sender_id": "TwelveChars1"}, "sender ID"),
        ({"notify_sns_sender_id": "Gongkuang"}, "needs notify_sns_region"),
    ],
)
def test_bad_sns_settings_are_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_stage("dev", raw)
