"""SNS SMS (outside the mainland) through boto3 against moto: accepted with a MessageId, an invalid number
permanent, an unreachable endpoint retryable within the client's bounded time."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from functions.adapters.sns_sms import SnsSms, sns_client
from monitoring.notify.ports import ChannelKind, OutgoingMessage, SendStatus

pytestmark = pytest.mark.integration
REGION = "ap-east-1"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield sns_client(REGION)


def _message(address: str) -> OutgoingMessage:
    return OutgoingMessage(
        "k-1", ChannelKind.SNS_SMS, address, "alarm_raised", {}, "【如皋市生态环境局】报警：治污设施停运"
    )


def test_publish_to_a_number_is_accepted_as_transactional(client: Any) -> None:
    result = SnsSms(client, sender_id="RUGAO").send(_message("+85291234567"))
    assert result.status is SendStatus.ACCEPTED and result.provider == "sns" and result.provider_id
    sent = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages
    assert list(sent.values()) == [("+85291234567", "【如皋市生态环境局】报警：治污设施停运")]


def test_an_invalid_number_is_permanent(client: Any) -> None:
    result = SnsSms(client).send(_message("not-a-number"))
    assert (result.status, result.code) == (SendStatus.PERMANENT, "InvalidParameter")


def test_an_unreachable_endpoint_is_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = sns_client(REGION, endpoint_url=f"http://127.0.0.1:{port}", timeout_s=0.5)
    result = SnsSms(client).send(_message("+85291234567"))
    assert (result.status, result.code) == (SendStatus.RETRYABLE, "network")


def test_lambda_channels_come_from_the_secret_and_include_sns(client: Any) -> None:
    from functions.adapters.notify_channels import channels_from_aws

    secret = {"wecom": {"robots": {"bureau": "robot-key"}}, "wechat": None}
    sm = boto3.client("secretsmanager", region_name=REGION)
    arn = sm.create_secret(Name="notify/channels", SecretString=json.dumps(secret))["ARN"]
    env = {"NOTIFY_CHANNELS_SECRET": arn, "NOTIFY_SNS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        channels = channels_from_aws(env)
    assert {k: [c.provider for c in cs] for k, cs in channels.items()} == {
        ChannelKind.WECOM_ROBOT: ["wecom"],
        ChannelKind.SNS_SMS: ["sns"],
    }
    assert "robot-key" not in repr(channels[ChannelKind.WECOM_ROBOT][0].settings)  # type: ignore[attr-defined]
