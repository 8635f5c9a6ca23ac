"""The notification providers' secret: exactly the sender and the API (SMS login codes) may read it; it starts as
valid JSON; every function gets the WeChat template ids as a plain setting (deciding never reads the secret)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def _secret_id(synthesized: Synthesized, stage: str) -> str:
    (logical,) = [k for k in synthesized.resources(stage, "AWS::SecretsManager::Secret") if "NotifyChannels" in k]
    return logical


def _names_secret(resource: Any, logical: str) -> bool:
    return logical in json.dumps(resource)


def _readers(synthesized: Synthesized, stage: str) -> set[str]:
    """Logical ids of the roles whose policies allow secretsmanager:GetSecretValue on the notify secret."""
    logical = _secret_id(synthesized, stage)
    roles: set[str] = set()
    for policy in synthesized.properties(stage, "AWS::IAM::Policy"):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "secretsmanager:GetSecretValue" in actions and _names_secret(statement["Resource"], logical):
                roles |= {r["Ref"] for r in policy["Roles"]}
    return roles


def _roles_of(synthesized: Synthesized, stage: str, handler: str) -> set[str]:
    functions = synthesized.properties(stage, "AWS::Lambda::Function")
    roles = {str(p["Role"]["Fn::GetAtt"][0]) for p in functions if p.get("Handler") == handler}
    assert roles, handler
    return roles


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_only_the_sender_and_the_api_may_read_the_secret(synthesized: Synthesized, stage: str) -> None:
    readers = _readers(synthesized, stage)
    (sender,) = _roles_of(synthesized, stage, "functions.notify_send.handler")
    (api,) = readers - {sender}
    assert sender in readers and len(readers) == 2 and "Api" in api
    # the deciders (alarm stream, schedule sweep, maintenance reminders) may not: they never read it
    for handler in (
        "functions.on_alarm_change_notify.handler",
        "functions.every_fifteen_minutes_maintenance_reminders.handler",
    ):
        assert not _roles_of(synthesized, stage, handler) & readers


def test_the_secret_starts_as_json_the_sender_can_parse(synthesized: Synthesized) -> None:
    from monitoring.notify.channels.settings import ChannelSettings

    (secret,) = [
        r["Properties"]
        for k, r in synthesized.resources("dev", "AWS::SecretsManager::Secret").items()
        if "NotifyChannels" in k
    ]
    assert "GenerateSecretString" not in secret
    assert ChannelSettings.model_validate_json(secret["SecretString"]) == ChannelSettings()


def test_every_function_gets_the_wechat_template_ids(synthesized: Synthesized) -> None:
    for props in synthesized.properties("dev", "AWS::Lambda::Function"):
        variables = props.get("Environment", {}).get("Variables", {})
        if "NOTIFY_CHANNELS_SECRET" in variables:
            assert "NOTIFY_WECHAT_TEMPLATES" in variables


def test_in_ssm_only_the_sender_and_the_api_may_read_the_parameter(synthesized: Synthesized) -> None:
    from infra.app import file_context
    from infra.secret_parameters import parameter_names
    from infra.settings import load_stages

    name = parameter_names({s.name: s for s in load_stages(file_context())}["county"]).notify_channels
    readers: set[str] = set()
    for policy in synthesized.properties("county", "AWS::IAM::Policy"):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "ssm:GetParameter" in actions and f":parameter{name}" in json.dumps(statement["Resource"]):
                readers |= {r["Ref"] for r in policy["Roles"]}
    (sender,) = _roles_of(synthesized, "county", "functions.notify_send.handler")
    (api,) = readers - {sender}
    assert sender in readers and len(readers) == 2 and "Api" in api
    variables = [
        p.get("Environment", {}).get("Variables", {}) for p in synthesized.properties("county", "AWS::Lambda::Function")
    ]
    assert {v["NOTIFY_CHANNELS_SECRET"] for v in variables if "NOTIFY_CHANNELS_SECRET" in v} == {f"ssm:{name}"}
