"""Aliyun SMS through the official SDK (alibabacloud-dysmsapi20170525): SendSms with sign name, template code,
the parameters as JSON and the outbox key as OutId; QuerySendDetails for delivery receipts and to find a message
sent before a crash (by number and day, matched on OutId). Every answer is
mapped: throttling and server errors retry, an illegal number is permanent, config/template/balance fail over."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.utils_models import Config

from monitoring._time import CHINA
from monitoring.notify.channels.outcomes import detail, network_failure
from monitoring.notify.channels.settings import AliyunSmsSettings
from monitoring.notify.masking import mask
from monitoring.notify.ports import ChannelKind, OutgoingMessage, Receipt, SendResult, SendStatus

log = logging.getLogger("monitoring.notify.aliyun_sms")
PROVIDER = "aliyun_sms"
QUERY_PAGE = 50  # QuerySendDetails' largest page
QUERY_PAGES = 4  # a number gets few SMS a day: 200 records are plenty; never loop on a busy one
LOOKUP_DAYS = 3  # an unknown send is retried within hours (back-off ≤ 30 min): older days are not searched

RETRYABLE = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # the per-number flow control (minute / hour / day)
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "ServiceUnavailable",
        "InternalError",
    }
)
PERMANENT = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT"})
# Everything else (template, signature, parameters, balance, keys, permissions) is this provider's problem: fail
# over; these are also configuration errors an operator must hear about.
CONFIG = frozenset(
    {
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "isp.RAM_PERMISSION_DENY",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
    }
)


def _retry_after(code: str, message: str) -> float | None:
    """Aliyun's flow-control message names its window ("触发号码分钟级流控", 小时级, 天级)."""
    if code != "isv.BUSINESS_LIMIT_CONTROL":
        return None
    if "天级" in message:
        return 3600.0  # a daily cap: try again in an hour (the sender also holds the number by its own counts)
    if "小时级" in message:
        return 600.0
    return 60.0


def classify(code: str, message: str = "") -> SendResult:
    if code in RETRYABLE:
        status = SendStatus.RETRYABLE
    elif code in PERMANENT:
        status = SendStatus.PERMANENT
    else:
        status = SendStatus.PROVIDER_REJECTED
    return SendResult(status, PROVIDER, code=code, detail=detail(message), retry_after_s=_retry_after(code, message))


class AliyunSms:
    """`Channel` for ChannelKind.SMS. The SDK's own retries stay off: the outbox retries with back-off."""

    def __init__(self, settings: AliyunSmsSettings) -> None:
        self.settings = settings
        config = Config(
            access_key_id=settings.access_key_id,
            access_key_secret=settings.access_key_secret.get_secret_value(),
            endpoint=settings.endpoint,
            protocol=settings.protocol,
            connect_timeout=int(settings.connect_timeout_s * 1000),
            read_timeout=int(settings.read_timeout_s * 1000),
        )
        self._client = Client(config)

    @property
    def provider(self) -> str:
        return PROVIDER

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.SMS

    def send(self, message: OutgoingMessage) -> SendResult:
        code = self.settings.templates.get(message.template)
        if code is None:
            log.error("aliyun_sms: no template code configured for %r", message.template)
            return SendResult(SendStatus.PROVIDER_REJECTED, PROVIDER, code="template_not_configured")
        request = sms_models.SendSmsRequest(
            phone_numbers=message.address,
            sign_name=self.settings.sign_name,
            template_code=code,
            template_param=json.dumps(dict(message.params), ensure_ascii=False),
            out_id=message.key[:64],  # echoed in receipts; Aliyun allows 256 characters
        )
        try:
            body = self._client.send_sms(request).body
        except AlibabaCloudException as exc:
            result = classify(str(exc.code), str(getattr(exc, "message", "")))
            if exc.status_code is not None and exc.status_code >= 500:
                result = SendResult(SendStatus.RETRYABLE, PROVIDER, code=str(exc.code) or f"http_{exc.status_code}")
        except Exception as exc:  # network: refused, reset, timed out, a non-JSON gateway page
            result = network_failure(PROVIDER, exc)
        else:
            if body.code == "OK" and body.biz_id:
                return SendResult(SendStatus.ACCEPTED, PROVIDER, provider_id=body.biz_id)
            result = classify(str(body.code), str(body.message or ""))
        level = logging.ERROR if result.code in CONFIG else logging.WARNING
        log.log(level, "aliyun_sms to %s: %s %s (%s)", mask(message.address), result.status, result.code, result.detail)
        return result

    # ---- was it sent already? -------------------------------------------------------------------------------------
    def find_sent(self, message: OutgoingMessage, since: datetime) -> SendResult | None:
        """QuerySendDetails for the number on each Beijing day from `since` to today, looking for our OutId. The
        record carries no BizId, so the result has none (no receipt is asked for it)."""
        out_id = message.key[:64]
        today = datetime.now(CHINA).date()
        day = max(since.astimezone(CHINA).date(), today - timedelta(days=LOOKUP_DAYS - 1))
        while day <= today:
            for page in range(1, QUERY_PAGES + 1):
                request = sms_models.QuerySendDetailsRequest(
                    phone_number=message.address,
                    send_date=day.strftime("%Y%m%d"),
                    page_size=QUERY_PAGE,
                    current_page=page,
                )
                try:
                    body = self._client.query_send_details(request).body
                except Exception as exc:  # cannot tell: the caller sends (at least once)
                    log.warning("aliyun_sms lookup for %s: %s", mask(message.address), detail(exc))
                    return None
                if body.code != "OK" or body.sms_send_detail_dtos is None:
                    return None
                records = body.sms_send_detail_dtos.sms_send_detail_dto or []
                if any(d.out_id == out_id for d in records):
                    return SendResult(SendStatus.ACCEPTED, PROVIDER)
                if len(records) < QUERY_PAGE:
                    break
            day += timedelta(days=1)
        return None

    # ---- delivery receipts -------------------------------------------------------------------------------------
    def receipts(self, accepted: Sequence[tuple[str, str, datetime]]) -> list[Receipt]:
        """QuerySendDetails per accepted message (by BizId, number and the Beijing day it was sent)."""
        out: list[Receipt] = []
        for biz_id, phone, at in accepted:
            request = sms_models.QuerySendDetailsRequest(
                biz_id=biz_id,
                phone_number=phone,
                send_date=at.astimezone(CHINA).strftime("%Y%m%d"),
                page_size=10,
                current_page=1,
            )
            try:
                body = self._client.query_send_details(request).body
            except Exception as exc:  # receipts are best effort: the next pass asks again
                log.warning("aliyun_sms receipts for %s: %s", mask(phone), detail(exc))
                continue
            if body.code != "OK" or body.sms_send_detail_dtos is None:
                continue
            for d in body.sms_send_detail_dtos.sms_send_detail_dto or []:
                if d.send_status not in (2, 3):  # 1: still waiting for the carrier
                    continue
                received = _parse_time(d.receive_date) or at
                out.append(
                    Receipt(PROVIDER, biz_id, d.send_status == 3, received, code=str(d.err_code or ""), address=phone)
                )
        return out


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(UTC)
    except ValueError:
        return None
