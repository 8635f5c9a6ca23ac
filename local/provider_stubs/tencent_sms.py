"""Tencent Cloud SMS (API 2021-01-11) on loopback: SendSms as the official SDK calls it (JSON body,
TC3-HMAC-SHA256 signature checked), with Tencent's request-level errors and per-number SendStatus codes; the status
report queue (PullSmsSendStatus, each report once) and the per-number query (PullSmsSendStatusByPhoneNumber)."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from local.provider_stubs.base import GARBAGE, Answer, Received, Request, StubServer
from monitoring._time import CHINA

_AUTH = re.compile(
    r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
    r"SignedHeaders=([a-z;-]+), Signature=([0-9a-f]+)"
)
_PHONE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
_SLOT = re.compile(r"\{(\d+)\}")

# failure name → (request-level error code, or "" for a per-number SendStatus code; the code; the message)
_FAILURE_ANSWERS: dict[str, tuple[bool, str, str]] = {
    "throttle": (False, "LimitExceeded.PhoneNumberThirtySecondLimit", "单个手机号30秒内下发短信条数超过设定的上限"),
    "throttle_hour": (False, "LimitExceeded.PhoneNumberOneHourLimit", "单个手机号1小时内下发短信条数超过设定的上限"),
    "daily_limit": (False, "LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发短信条数超过设定的上限"),
    "invalid_number": (False, "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"),
    "api_throttle": (True, "RequestLimitExceeded", "请求的次数超过了频率限制"),
    "invalid_template": (
        True,
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "模板未审批或请求的内容与审核通过的模板内容不匹配",
    ),
    "missing_params": (
        True,
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "请求内容与审核通过的模板内容不匹配",
    ),
    "insufficient": (True, "FailedOperation.InsufficientBalanceInSmsPackage", "套餐包余量不足"),
    "bad_signature": (True, "AuthFailure.SignatureFailure", "请求签名验证失败"),
    "internal": (True, "InternalError.Timeout", "请求下发短信超时"),
}


def render(template: str, params: list[str]) -> str:
    return _SLOT.sub(lambda m: params[int(m.group(1)) - 1] if 0 < int(m.group(1)) <= len(params) else "", template)


class TencentSmsStub(StubServer):
    """`templates`: template id → text with {1} {2} … slots."""

    provider = "tencent_sms"
    FAILURES = (*_FAILURE_ANSWERS, "5xx", "timeout", "garbage")

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        templates: Mapping[str, str],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.secret_id = secret_id
        self._secret = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.undeliverable: set[str] = set()  # numbers whose status reports say not delivered
        self._reports: list[dict[str, object]] = []  # delivery reports not pulled yet (each is pulled once)
        self._all_reports: list[tuple[float, dict[str, object]]] = []  # every report with its time, for the query
        super().__init__(host, port)

    def _error(self, code: str, message: str) -> Answer:
        return Answer(
            200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": self._next_id("r-")}}
        )

    def _signature_error(self, request: Request) -> Answer | None:
        m = _AUTH.fullmatch(request.headers.get("authorization", ""))
        if m is None:
            return self._error("AuthFailure.SignatureFailure", "请求签名格式错误")
        secret_id, date, service, signed, signature = m.groups()
        if secret_id != self.secret_id:
            return self._error("AuthFailure.SecretIdNotFound", "密钥不存在")
        timestamp = request.headers.get("x-tc-timestamp", "0")
        if datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d") != date:
            return self._error("AuthFailure.SignatureFailure", "请求签名日期与时间戳不符")
        if abs(time.time() - int(timestamp)) > 300:
            return self._error("AuthFailure.SignatureExpire", "签名过期")
        headers = "".join(f"{n}:{request.headers.get(n, '').strip().lower()}\n" for n in signed.split(";"))
        canonical = "\n".join(
            [request.method, request.path, "", headers, signed, hashlib.sha256(request.body).hexdigest()]
        )
        scope = f"{date}/{service}/tc3_request"
        to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        key = ("TC3" + self._secret).encode()
        for part in (date, service, "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self._error("AuthFailure.SignatureFailure", "请求签名验证失败")
        return None

    def handle(self, request: Request) -> Answer:
        failure = self._scripted()
        if failure == "timeout":
            return Answer(0, None, hang=True)
        if failure == "garbage":
            return GARBAGE
        if failure == "5xx":
            return Answer(502, {"message": "Bad Gateway"})
        scripted = _FAILURE_ANSWERS.get(failure or "")
        if scripted is not None and scripted[0]:
            return self._error(scripted[1], scripted[2])
        bad = self._signature_error(request)
        if bad is not None:
            return bad
        action = request.headers.get("x-tc-action")
        if (
            action not in ("SendSms", "PullSmsSendStatus", "PullSmsSendStatusByPhoneNumber")
            or request.headers.get("x-tc-version") != "2021-01-11"
        ):
            return self._error("InvalidAction", "接口不存在")
        body = request.json()
        if action == "PullSmsSendStatus":
            return self._pull(body)
        if action == "PullSmsSendStatusByPhoneNumber":
            return self._pull_by_number(body)
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "SdkAppId校验失败")
        if body.get("SignName") != self.sign_name:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误")
        template = self.templates.get(str(body.get("TemplateId", "")))
        params = [str(p) for p in body.get("TemplateParamSet") or []]
        if template is None:
            return self._error(
                "FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或请求的内容与审核通过的模板内容不匹配"
            )
        if len(params) != len(set(_SLOT.findall(template))):
            return self._error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "请求内容与审核通过的模板内容不匹配"
            )
        text = f"【{self.sign_name}】{render(template, params)}"
        statuses = []
        for phone in body.get("PhoneNumberSet") or []:
            m = _PHONE.fullmatch(str(phone))
            status = {"PhoneNumber": str(phone), "SessionContext": body.get("SessionContext", ""), "IsoCode": "CN"}
            if scripted is not None:
                statuses.append({**status, "SerialNo": "", "Fee": 0, "Code": scripted[1], "Message": scripted[2]})
            elif m is None:
                statuses.append(
                    {
                        **status,
                        "SerialNo": "",
                        "Fee": 0,
                        "Code": "InvalidParameterValue.IncorrectPhoneNumber",
                        "Message": "手机号格式错误",
                    }
                )
            else:
                serial = self._next_id("2433:")
                self._record(
                    Received(
                        time.time(),
                        self.provider,
                        serial,
                        m.group(1),
                        str(body["TemplateId"]),
                        {str(i + 1): p for i, p in enumerate(params)},
                        text,
                        body.get("SessionContext", ""),
                    )
                )
                statuses.append({**status, "SerialNo": serial, "Fee": 1, "Code": "Ok", "Message": "send success"})
                ok = m.group(1) not in self.undeliverable
                report = {
                    "UserReceiveTime": datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                    "CountryCode": "86",
                    "SubscriberNumber": m.group(1),
                    "PhoneNumber": f"+86{m.group(1)}",
                    "SerialNo": serial,
                    "ReportStatus": "SUCCESS" if ok else "FAIL",
                    "Description": "用户短信送达成功" if ok else "MK:0001",
                    "SessionContext": body.get("SessionContext", ""),
                }
                with self._lock:
                    self._reports.append(report)
                    self._all_reports.append((time.time(), report))
        return Answer(200, {"Response": {"SendStatusSet": statuses, "RequestId": self._next_id("r-")}})

    def _pull(self, body: dict[str, object]) -> Answer:
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "SdkAppId校验失败")
        limit = int(str(body.get("Limit", 0)))
        if not 1 <= limit <= 100:
            return self._error("InvalidParameterValue", "Limit 取值范围为 1-100")
        with self._lock:
            taken, self._reports = self._reports[:limit], self._reports[limit:]
        return Answer(200, {"Response": {"PullSmsSendStatusSet": taken, "RequestId": self._next_id("r-")}})

    def _pull_by_number(self, body: dict[str, object]) -> Answer:
        """Reports of one number between BeginTime and EndTime (Unix seconds), Offset/Limit paged; not consumed."""
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "SdkAppId校验失败")
        try:
            begin, offset, limit = (int(str(body.get(k))) for k in ("BeginTime", "Offset", "Limit"))
            end = int(str(body.get("EndTime"))) if body.get("EndTime") is not None else int(time.time())
        except ValueError:
            return self._error("InvalidParameterValue", "BeginTime、Offset、Limit 须为整数")
        if not 1 <= limit <= 100 or offset < 0:
            return self._error("InvalidParameterValue", "Limit 取值范围为 1-100")
        m = _PHONE.fullmatch(str(body.get("PhoneNumber", "")))
        if m is None:
            return self._error("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误")
        with self._lock:
            found = [r for at, r in self._all_reports if r["SubscriberNumber"] == m.group(1) and begin <= at <= end]
        taken = found[offset : offset + limit]
        return Answer(200, {"Response": {"PullSmsSendStatusSet": taken, "RequestId": self._next_id("r-")}})
