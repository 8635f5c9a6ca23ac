"""The sender's provider settings from where NOTIFY_CHANNELS_SECRET says: an SSM SecureString ("ssm:<name>",
decrypted) or a Secrets Manager secret, on moto; a missing one is a clear, masked error, never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.adapters.notify_channels import channels_from_aws, read_secret
from monitoring.notify.channels.wiring import ChannelSettingsUnusable
from monitoring.notify.ports import ChannelKind

pytestmark = pytest.mark.integration
REGION = "cn-north-1"
SETTINGS = json.dumps({"wecom": {"robots": {"rugao": "robot-key-0123456789"}}})
PARAMETER = "/gongkuang/county/notify-channels"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("NOTIFY_CHANNELS_JSON", "NOTIFY_CHANNELS_FILE", "NOTIFY_SNS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def _robots(channels: dict[ChannelKind, Any]) -> int:
    return sum(len(found) for found in channels.values())


def test_a_securestring_is_read_decrypted(aws: None) -> None:
    boto3.client("ssm").put_parameter(Name=PARAMETER, Value=SETTINGS, Type="SecureString")
    # without decryption SSM answers the ciphertext, which is no JSON the sender could parse
    assert read_secret(f"ssm:{PARAMETER}") == SETTINGS
    channels = channels_from_aws({"NOTIFY_CHANNELS_SECRET": f"ssm:{PARAMETER}"})
    assert _robots(channels) == 1


def test_a_secrets_manager_arn_is_read_as_before(aws: None) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="NotifyChannels", SecretString=SETTINGS)["ARN"]
    assert _robots(channels_from_aws({"NOTIFY_CHANNELS_SECRET": arn})) == 1


def test_a_missing_parameter_is_a_masked_error_naming_the_cause(aws: None) -> None:
    with pytest.raises(ChannelSettingsUnusable) as raised:
        channels_from_aws({"NOTIFY_CHANNELS_SECRET": f"ssm:{PARAMETER}"})
    assert "ParameterNotFound" in str(raised.value)
