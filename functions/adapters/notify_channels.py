"""The provider channels of a Lambda: settings from the secret the environment names, a Secrets Manager id/ARN or
"ssm:<name>" of a SecureString (the AccessKey, app secret and robot keys live only there), plus SNS SMS when
NOTIFY_SNS_REGION is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from functions.adapters.sns_sms import SnsSms, sns_client
from monitoring.notify.channels import channels_from_env
from monitoring.notify.ports import Channel, ChannelKind

SSM_PREFIX = "ssm:"  # the stage keeps its secrets in SSM (infra settings secrets_store = "ssm")


def read_secret(source: str, *, client: Any = None) -> str:
    """The value kept at `source`: "ssm:<name>" (SecureString, decrypted) or a Secrets Manager id/ARN. Raises
    botocore's ClientError when it is missing (ParameterNotFound, ResourceNotFoundException) or not ours to read."""
    if source.startswith(SSM_PREFIX):
        ssm = client or boto3.client("ssm")
        return str(ssm.get_parameter(Name=source[len(SSM_PREFIX) :], WithDecryption=True)["Parameter"]["Value"])
    sm = client or boto3.client("secretsmanager")
    return str(sm.get_secret_value(SecretId=source)["SecretString"])


def channels_from_aws(
    env: Mapping[str, str], *, wechat_templates: Mapping[str, str] | None = None
) -> dict[ChannelKind, list[Channel]]:
    """Raises monitoring.notify.channels.wiring.ChannelSettingsUnusable when the settings cannot be used."""
    extra: list[Channel] = []
    if env.get("NOTIFY_SNS_REGION"):
        client = sns_client(env["NOTIFY_SNS_REGION"], endpoint_url=env.get("NOTIFY_SNS_ENDPOINT") or None)
        extra.append(SnsSms(client, sender_id=env.get("NOTIFY_SNS_SENDER_ID", "")))
    return channels_from_env(env, read_secret=read_secret, extra=extra, wechat_templates=wechat_templates)
