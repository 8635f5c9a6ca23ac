"""Aliyun SMS (dysmsapi 2017-05-25) on loopback: SendSms and QuerySendDetails as the official SDK calls them
(RPC style, query parameters, ACS3-HMAC-SHA256 signature checked), with Aliyun's answers and error codes."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

from local.provider_stubs.base import GARBAGE, Answer, Received, Request, StubServer
from monitoring._time import CHINA

_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")
_AUTH = re.compile(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)")
MAX_VAR = 35  # characters per variable of a notification template

# failure name → (HTTP status, Code, Message); 200 answers are business errors in the body, as Aliyun sends them
_FAILURE_ANSWERS: dict[str, tuple[int, str, str]] = {
    "throttle": (200, "isv.BUSINESS_LIMIT_CONTROL", "触发号码分钟级流控Permits:1"),
    "throttle_day": (200, "isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:40"),
    "api_throttle": (400, "Throttling.User", "Request was denied due to user flow control."),
    "invalid_number": (200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
    "invalid_template": (200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"),
    "missing_params": (200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值"),
    "amount": (200, "isv.AMOUNT_NOT_ENOUGH", "账户余额不足"),
    "bad_signature": (400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."),
    "bad_key": (404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."),
    "system_error": (200, "isp.SYSTEM_ERROR", "系统错误"),
    "5xx": (503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
}


def render(template: str, params: Mapping[str, str]) -> str:
    return _VAR.sub(lambda m: str(params.get(m.group(1), "")), template)


class AliyunSmsStub(StubServer):
    """`templates`: template code → text with ${var}; `limits`: per-number (per minute, per hour, per day) caps
    answered with isv.BUSINESS_LIMIT_CONTROL, as Aliyun's default flow control does (None = no caps)."""

    provider = "aliyun_sms"
    FAILURES = (*_FAILURE_ANSWERS, "timeout", "taken_then_timeout", "garbage")

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        limits: tuple[int, int, int] | None = None,
        undeliverable: frozenset[str] = frozenset(),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.limits = limits
        self.undeliverable = set(undeliverable)  # numbers whose receipts say not delivered
        self._sent_at: dict[str, list[float]] = {}
        self._details: dict[str, dict[str, object]] = {}  # BizId → QuerySendDetails record
        self._limit_lock = threading.Lock()
        super().__init__(host, port)

    # ---- the wire -----------------------------------------------------------------------------------------
    def _error(self, status: int, code: str, message: str) -> Answer:
        return Answer(status, {"RequestId": self._next_id("REQ-"), "Code": code, "Message": message})

    def _signature_ok(self, request: Request) -> Answer | None:
        m = _AUTH.fullmatch(request.headers.get("authorization", ""))
        if m is None:
            return self._error(400, "MissingAuthorization", "Authorization is mandatory for this action.")
        key_id, signed, signature = m.groups()
        if key_id != self.access_key_id:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        payload = hashlib.sha256(request.body).hexdigest()
        if request.headers.get("x-acs-content-sha256") != payload:
            return self._error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        names = signed.split(";")
        query = "&".join(f"{k}={quote(request.query[k], safe='~')}" for k in sorted(request.query))
        headers = "".join(f"{n}:{request.headers.get(n, '').strip()}\n" for n in names)
        canonical = f"{request.method}\n{request.path}\n{query}\n{headers}\n{signed}\n{payload}"
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        expected = hmac.new(self._secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self._error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        return None

    def handle(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != "/":
            return self._error(404, "InvalidAction.NotFound", "Specified api is not found, please check your url.")
        failure = self._scripted()
        if failure == "timeout":
            return Answer(0, None, hang=True)
        if failure == "garbage":
            return GARBAGE
        if failure == "taken_then_timeout":  # the send goes through, its answer never comes (a lost response)
            self._unscripted(request)
            return Answer(0, None, hang=True)
        if failure is not None:
            return self._error(*_FAILURE_ANSWERS[failure])
        return self._unscripted(request)

    def _unscripted(self, request: Request) -> Answer:
        bad = self._signature_ok(request)
        if bad is not None:
            return bad
        action = request.headers.get("x-acs-action", "")
        if request.headers.get("x-acs-version") != "2017-05-25":
            return self._error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if action == "SendSms":
            return self._send(request.query)
        if action == "QuerySendDetails":
            return self._details_of(request.query)
        return self._error(404, "InvalidAction.NotFound", "Specified api is not found, please check your url.")

    # ---- SendSms ------------------------------------------------------------------------------------------
    def _send(self, q: Mapping[str, str]) -> Answer:
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not q.get(name):
                return self._error(400, "MissingParameter", f"{name} is mandatory for this action.")
        phones = q["PhoneNumbers"].split(",")
        if any(_MOBILE.fullmatch(p) is None for p in phones):
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if q["SignName"] != self.sign_name:
            return self._error(200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        template = self.templates.get(q["TemplateCode"])
        if template is None:
            return self._error(200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            params = json.loads(q.get("TemplateParam") or "{}")
        except json.JSONDecodeError:
            return self._error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return self._error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if any(v not in params for v in _VAR.findall(template)):
            return self._error(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        if any(len(v) > MAX_VAR for v in params.values()):
            return self._error(200, "isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
        limited = self._over_limit(phones)
        if limited:
            return self._error(200, "isv.BUSINESS_LIMIT_CONTROL", limited)
        biz_id = f"{self._next_id('')}^0"
        text = f"【{q['SignName']}】{render(template, params)}"
        sent = datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        for phone in phones:
            self._record(
                Received(time.time(), self.provider, biz_id, phone, q["TemplateCode"], params, text, q.get("OutId", ""))
            )
            ok = phone not in self.undeliverable
            self._details[f"{biz_id}/{phone}"] = {
                "PhoneNum": phone,
                "SendStatus": 3 if ok else 2,
                "ErrCode": "DELIVERED" if ok else "IC:0001",
                "TemplateCode": q["TemplateCode"],
                "Content": text,
                "SendDate": sent,
                "ReceiveDate": sent,
                "OutId": q.get("OutId", ""),
            }
        return Answer(200, {"RequestId": self._next_id("REQ-"), "Code": "OK", "Message": "OK", "BizId": biz_id})

    def _over_limit(self, phones: list[str]) -> str:
        if self.limits is None:
            return ""
        now = time.time()
        per_minute, per_hour, per_day = self.limits
        with self._limit_lock:
            for phone in phones:
                times = [t for t in self._sent_at.get(phone, []) if t > now - 86_400]
                if sum(1 for t in times if t > now - 60) >= per_minute:
                    return f"触发号码分钟级流控Permits:{per_minute}"
                if sum(1 for t in times if t > now - 3600) >= per_hour:
                    return f"触发号码小时级流控Permits:{per_hour}"
                if len(times) >= per_day:
                    return f"触发号码天级流控Permits:{per_day}"
            for phone in phones:
                self._sent_at.setdefault(phone, []).append(now)
        return ""

    # ---- QuerySendDetails -----------------------------------------------------------------------------------
    def _details_of(self, q: Mapping[str, str]) -> Answer:
        for name in ("PhoneNumber", "SendDate", "PageSize", "CurrentPage"):
            if not q.get(name):
                return self._error(400, "MissingParameter", f"{name} is mandatory for this action.")
        try:
            size, page = int(q["PageSize"]), int(q["CurrentPage"])
        except ValueError:
            return self._error(400, "InvalidParameter", "PageSize and CurrentPage must be numbers.")
        if not (1 <= size <= 50 and page >= 1):
            return self._error(400, "InvalidParameter", "PageSize must be 1-50, CurrentPage at least 1.")
        found = [
            d
            for key, d in list(self._details.items())
            if d["PhoneNum"] == q["PhoneNumber"]
            and (not q.get("BizId") or key.startswith(q["BizId"] + "/"))
            and str(d["SendDate"]).replace("-", "").startswith(q["SendDate"])
        ]
        body = {
            "RequestId": self._next_id("REQ-"),
            "Code": "OK",
            "Message": "OK",
            "TotalCount": str(len(found)),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": found[(page - 1) * size : page * size]},
        }
        return Answer(200, body)
