"""AWS SNS SMS for numbers outside the mainland (`ChannelKind.SNS_SMS`): Publish to a phone number as a
transactional SMS; SNS errors mapped to retryable (throttled, 5xx, timeouts) or permanent (an invalid number)."""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from monitoring.notify.masking import mask
from monitoring.notify.ports import ChannelKind, OutgoingMessage, SendResult, SendStatus

log = logging.getLogger("functions.notify.sns")
PROVIDER = "sns"
RETRYABLE = frozenset({"Throttling", "ThrottlingException", "Throttled", "InternalError", "InternalFailure"})
PERMANENT = frozenset({"InvalidParameter", "InvalidParameterValue", "OptedOut"})
MAX_CHARS = 1600  # SNS splits longer SMS; past this it refuses


def sns_client(region: str, *, endpoint_url: str | None = None, timeout_s: float = 5.0) -> Any:
    """An SNS client with bounded connect/read times and no retries of its own (the outbox retries)."""
    config = Config(connect_timeout=timeout_s, read_timeout=timeout_s, retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("sns", region_name=region, endpoint_url=endpoint_url, config=config)


class SnsSms:
    """`Channel` for ChannelKind.SNS_SMS: the message's full text (with its 【signature】) to an E.164 number."""

    def __init__(self, client: Any, *, sender_id: str = "") -> None:
        self._client = client
        self.sender_id = sender_id

    @property
    def provider(self) -> str:
        return PROVIDER

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.SNS_SMS

    def send(self, message: OutgoingMessage) -> SendResult:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.sender_id}
        try:
            answer = self._client.publish(
                PhoneNumber=message.address, Message=message.text[:MAX_CHARS], MessageAttributes=attributes
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            http = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in PERMANENT:
                status = SendStatus.PERMANENT
            elif code in RETRYABLE or http >= 500:
                status = SendStatus.RETRYABLE
            else:  # authorisation, KMS, spending limit: this provider cannot send it now
                status = SendStatus.PROVIDER_REJECTED
            log.warning("sns to %s: %s %s", mask(message.address), status, code)
            return SendResult(status, PROVIDER, code=code or f"http_{http}", detail=str(error.get("Message", ""))[:200])
        except NoCredentialsError:
            log.error("sns: no AWS credentials")
            return SendResult(SendStatus.PROVIDER_REJECTED, PROVIDER, code="no_credentials")
        except BotoCoreError as exc:  # connect / read timeouts, endpoint unreachable
            code = "timeout" if "timeout" in type(exc).__name__.lower() else "network"
            log.warning("sns to %s: %s", mask(message.address), code)
            return SendResult(SendStatus.RETRYABLE, PROVIDER, code=code, detail=type(exc).__name__)
        return SendResult(SendStatus.ACCEPTED, PROVIDER, provider_id=str(answer.get("MessageId", "")))
