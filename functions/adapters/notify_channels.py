"""The provider channels of a Lambda: settings from the Secrets Manager secret the environment names (the
AccessKey, app secret and robot keys live only there), plus SNS SMS when NOTIFY_SNS_REGION is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from functions.adapters.sns_sms import SnsSms, sns_client
from monitoring.notify.channels import channels_from_env
from monitoring.notify.ports import Channel, ChannelKind


def read_secret(secret_id: str, *, client: Any = None) -> str:
    """The secret's string value (raises botocore's ClientError when it is missing or not ours to read)."""
    sm = client or boto3.client("secretsmanager")
    return str(sm.get_secret_value(SecretId=secret_id)["SecretString"])


def channels_from_aws(
    env: Mapping[str, str], *, wechat_templates: Mapping[str, str] | None = None
) -> dict[ChannelKind, list[Channel]]:
    """Raises monitoring.notify.channels.wiring.ChannelSettingsUnusable when the settings cannot be used."""
    extra: list[Channel] = []
    if env.get("NOTIFY_SNS_REGION"):
        client = sns_client(env["NOTIFY_SNS_REGION"], endpoint_url=env.get("NOTIFY_SNS_ENDPOINT") or None)
        extra.append(SnsSms(client, sender_id=env.get("NOTIFY_SNS_SENDER_ID", "")))
    return channels_from_env(env, read_secret=read_secret, extra=extra, wechat_templates=wechat_templates)
