"""Tencent Cloud SMS (2021-01-11 SendSms) through its official SDK (tencentcloud-sdk-python-sms), the second SMS
provider: template parameters in the template's {1} {2} order, the outbox key as SessionContext (looked for with
PullSmsSendStatusByPhoneNumber before a send whose outcome is unknown is repeated). Request-level
errors and each number's SendStatus code are mapped to retryable / permanent / fail over."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from monitoring._time import CHINA
from monitoring.notify.channels.outcomes import detail, network_failure
from monitoring.notify.channels.settings import TencentSmsSettings
from monitoring.notify.masking import mask
from monitoring.notify.ports import ChannelKind, OutgoingMessage, Receipt, SendResult, SendStatus

log = logging.getLogger("monitoring.notify.tencent_sms")
PROVIDER = "tencent_sms"

# the per-number limits (defaults: 30 s, 1 h, a day) and the API's own rate limit: try later
_RETRY_AFTER = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 600.0,
    "LimitExceeded.PhoneNumberDailyLimit": 3600.0,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": 3600.0,
    "LimitExceeded.DeliveryFrequencyLimit": 60.0,
    "RequestLimitExceeded": 1.0,
}
PERMANENT = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberOnBlacklist",
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
    }
)
PULL_LIMIT = 100  # PullSmsSendStatus's largest page
PENDING_MAX = 10_000  # reports pulled but not asked for yet, kept for a later pass (oldest dropped beyond)
_RETRYABLE_PREFIXES = ("LimitExceeded.", "RequestLimitExceeded", "InternalError", "ServerNetworkError")


def classify(code: str, message: str = "") -> SendResult:
    if code in PERMANENT:
        status = SendStatus.PERMANENT
    elif code.startswith(_RETRYABLE_PREFIXES):
        status = SendStatus.RETRYABLE
    else:  # template, signature, balance, keys, app id: this provider cannot send it
        status = SendStatus.PROVIDER_REJECTED
    return SendResult(status, PROVIDER, code=code, detail=detail(message), retry_after_s=_RETRY_AFTER.get(code))


def e164(address: str) -> str:
    """Mainland 11-digit numbers as +86…; anything already international passes as it is."""
    return address if address.startswith("+") else f"+86{address}"


class TencentSms:
    """`Channel` for ChannelKind.SMS; the SDK's retryer and region breaker stay off (the outbox retries)."""

    def __init__(self, settings: TencentSmsSettings) -> None:
        self.settings = settings
        http = HttpProfile(protocol=settings.protocol, endpoint=settings.endpoint, reqTimeout=settings.timeout_s)
        profile = ClientProfile(httpProfile=http, disable_region_breaker=True)
        cred = credential.Credential(settings.secret_id, settings.secret_key.get_secret_value())
        self._client = sms_client.SmsClient(cred, settings.region, profile)
        self._pending: OrderedDict[str, Receipt] = OrderedDict()  # SerialNo → report, pulled, not yet asked for
        self._pending_lock = threading.Lock()

    @property
    def provider(self) -> str:
        return PROVIDER

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.SMS

    def send(self, message: OutgoingMessage) -> SendResult:
        template = self.settings.templates.get(message.template)
        if template is None:
            log.error("tencent_sms: no template configured for %r", message.template)
            return SendResult(SendStatus.PROVIDER_REJECTED, PROVIDER, code="template_not_configured")
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [e164(message.address)]
        request.SmsSdkAppId = self.settings.sdk_app_id
        request.SignName = self.settings.sign_name
        request.TemplateId = template.id
        request.TemplateParamSet = [str(message.params.get(name, "")) for name in template.params]
        request.SessionContext = message.key[:200]
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "")
            if exc.get_request_id():  # Tencent answered with an error of its own
                result = classify(code, str(exc.get_message() or ""))
            else:  # no answer (network, timeout), a non-200 status, or one that was not Tencent's JSON
                result = network_failure(PROVIDER, exc)
                if result.code != "timeout" and code not in ("ClientNetworkError", ""):
                    bad = "http_5xx" if code == "ServerNetworkError" else "bad_answer"
                    result = SendResult(SendStatus.RETRYABLE, PROVIDER, code=bad, detail=result.detail)
        except Exception as exc:  # the SDK lets some transport errors through unwrapped
            result = network_failure(PROVIDER, exc)
        else:
            statuses = list(response.SendStatusSet or [])
            if len(statuses) != 1:
                result = SendResult(SendStatus.RETRYABLE, PROVIDER, code="unexpected_answer")
            elif statuses[0].Code == "Ok" and statuses[0].SerialNo:
                return SendResult(SendStatus.ACCEPTED, PROVIDER, provider_id=str(statuses[0].SerialNo))
            else:
                result = classify(str(statuses[0].Code), str(statuses[0].Message or ""))
        level = logging.WARNING if result.status is not SendStatus.PROVIDER_REJECTED else logging.ERROR
        log.log(
            level, "tencent_sms to %s: %s %s (%s)", mask(message.address), result.status, result.code, result.detail
        )
        return result

    # ---- was it sent already? -------------------------------------------------------------------------------------
    def find_sent(self, message: OutgoingMessage, since: datetime) -> SendResult | None:
        """PullSmsSendStatusByPhoneNumber since `since` (a query, unlike the report queue), matched on our
        SessionContext. Reports come when the carrier reports, so a message still on its way is not found."""
        session = message.key[:200]
        for offset in range(0, PULL_LIMIT * 4, PULL_LIMIT):
            request = models.PullSmsSendStatusByPhoneNumberRequest()
            request.BeginTime = int(since.timestamp())
            request.EndTime = int(datetime.now(UTC).timestamp()) + 60
            request.Offset = offset
            request.Limit = PULL_LIMIT
            request.PhoneNumber = e164(message.address)
            request.SmsSdkAppId = self.settings.sdk_app_id
            try:
                found = list(self._client.PullSmsSendStatusByPhoneNumber(request).PullSmsSendStatusSet or [])
            except Exception as exc:  # cannot tell: the caller sends (at least once)
                log.warning("tencent_sms lookup for %s: %s", mask(message.address), detail(exc))
                return None
            for s in found:
                if s.SessionContext == session:
                    return SendResult(SendStatus.ACCEPTED, PROVIDER, provider_id=str(s.SerialNo or ""))
            if len(found) < PULL_LIMIT:
                break
        return None

    # ---- delivery receipts -------------------------------------------------------------------------------------
    def receipts(self, accepted: Sequence[tuple[str, str, datetime]]) -> list[Receipt]:
        """Tencent hands each status report out once (PullSmsSendStatus, the app's queue of reports): pull what
        is there, keep reports of messages not asked about for a later call, answer those asked about."""
        request = models.PullSmsSendStatusRequest()
        request.Limit = PULL_LIMIT
        request.SmsSdkAppId = self.settings.sdk_app_id
        try:
            pulled = list(self._client.PullSmsSendStatus(request).PullSmsSendStatusSet or [])
        except Exception as exc:  # best effort: the next pass pulls again
            log.warning("tencent_sms status pull failed: %s", detail(exc))
            pulled = []
        with self._pending_lock:
            for s in pulled:
                at = _parse_time(s.UserReceiveTime) or datetime.now(UTC)
                delivered = s.ReportStatus == "SUCCESS"
                code = "" if delivered else str(s.Description or "FAIL")
                self._pending[str(s.SerialNo)] = Receipt(
                    PROVIDER, str(s.SerialNo), delivered, at, code=code, address=str(s.SubscriberNumber or "")
                )
            while len(self._pending) > PENDING_MAX:
                self._pending.popitem(last=False)
            return [self._pending.pop(pid) for pid, _, _ in accepted if pid in self._pending]


def _parse_time(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(UTC)
    except ValueError:
        return None
