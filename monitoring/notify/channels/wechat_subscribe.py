"""WeChat mini-program subscribe messages: `cgi-bin/stable_token` (getStableAccessToken in its normal mode, so
processes sharing the app never invalidate each other's token; cached, asked again a margin before it expires;
40001/42001 ask again and try once more) and `cgi-bin/message/subscribe/send` (openid,
template id, page into the mini-program, data). 43101 (not subscribed / refused) is permanent for the message."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from monitoring.notify.channels.http_json import HttpAnswer, call
from monitoring.notify.channels.outcomes import detail, network_failure
from monitoring.notify.channels.settings import WechatSettings
from monitoring.notify.masking import mask
from monitoring.notify.ports import ChannelKind, OutgoingMessage, SendResult, SendStatus

log = logging.getLogger("monitoring.notify.wechat")
PROVIDER = "wechat"
TOKEN_INVALID = frozenset({40001, 42001, 40014})  # invalid, expired, invalid access_token
PERMANENT = frozenset({43101, 40003, 47003})  # refused / not subscribed, invalid openid, data out of its limits
RETRYABLE = frozenset({-1, 45009, 45011})  # busy, daily quota reached, API minute limit
_TOKEN_CONFIG = frozenset({40013, 40125, 40164, 40002, 41004})  # appid, secret, IP allow-list, grant type


class _TokenError(Exception):
    def __init__(self, result: SendResult) -> None:
        super().__init__(result.code)
        self.result = result


class WechatSubscribe:
    """`Channel` for ChannelKind.WECHAT_SUBSCRIBE. Thread-safe: one token fetch at a time."""

    def __init__(self, settings: WechatSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._token = ""
        self._refresh_at = 0.0
        self._lock = threading.Lock()

    @property
    def provider(self) -> str:
        return PROVIDER

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.WECHAT_SUBSCRIBE

    # ---- the access token ---------------------------------------------------------------------------------------
    def access_token(self, *, refresh: bool = False) -> str:
        """The cached token, fetched anew when absent, within the margin of its expiry, or when `refresh`."""
        with self._lock:
            if refresh or not self._token or self.clock() >= self._refresh_at:
                self._token, self._refresh_at = self._fetch_token()
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        """The current stable token and when to ask again. Never force_refresh: that would invalidate the token
        other processes hold (and WeChat allows it only 20 times a day); the normal mode returns a new token once
        the current one has expired or was invalidated."""
        payload = {
            "grant_type": "client_credential",
            "appid": self.settings.app_id,
            "secret": self.settings.app_secret.get_secret_value(),
            "force_refresh": False,
        }
        started = self.clock()
        try:
            answer = call(f"{self.settings.base_url}/cgi-bin/stable_token", payload=payload,
                          timeout_s=self.settings.timeout_s)  # fmt: skip
        except OSError as exc:
            raise _TokenError(network_failure(PROVIDER, exc)) from None
        body = answer.body if isinstance(answer.body, dict) else {}
        token, ttl = body.get("access_token"), body.get("expires_in")
        if answer.status == 200 and isinstance(token, str) and token and isinstance(ttl, int | float):
            # The normal mode returns the current token with what is left of its life: asked again near its end,
            # it may answer less than the margin, so then ask again halfway rather than on every send.
            margin = self.settings.refresh_margin_s
            return token, started + (float(ttl) - margin if ttl > 2 * margin else float(ttl) / 2)
        code = answer.errcode()
        if answer.status >= 500 or code in (-1, None):
            raise _TokenError(SendResult(SendStatus.RETRYABLE, PROVIDER, code=f"token_{code or answer.status}"))
        status = SendStatus.PROVIDER_REJECTED if code in _TOKEN_CONFIG else SendStatus.RETRYABLE
        log.error("wechat token refused: errcode %s (%s)", code, detail(body.get("errmsg", "")))
        raise _TokenError(SendResult(status, PROVIDER, code=f"token_{code}", detail=detail(body.get("errmsg", ""))))

    # ---- sending ------------------------------------------------------------------------------------------------
    def send(self, message: OutgoingMessage) -> SendResult:
        template_id = self.settings.templates.get(message.template)
        if template_id is None:
            log.error("wechat: no subscribe template configured for %r", message.template)
            return SendResult(SendStatus.PROVIDER_REJECTED, PROVIDER, code="template_not_configured")
        payload: dict[str, object] = {
            "touser": message.address,
            "template_id": template_id,
            "page": message.page,
            "data": {k: {"value": v} for k, v in message.params.items()},
            "miniprogram_state": self.settings.miniprogram_state,
            "lang": "zh_CN",
        }
        try:
            result = self._post(payload, refresh=False)
            if result is None:  # the token was refused: fetch a new one and try once more
                result = self._post(payload, refresh=True)
            if result is None:
                result = SendResult(SendStatus.RETRYABLE, PROVIDER, code="token_rejected")
        except _TokenError as exc:
            result = exc.result
        if not result.accepted:
            log.warning("wechat to %s: %s %s", mask(message.address), result.status, result.code)
        return result

    def _post(self, payload: dict[str, object], *, refresh: bool) -> SendResult | None:
        token = self.access_token(refresh=refresh)
        url = f"{self.settings.base_url}/cgi-bin/message/subscribe/send?access_token={token}"
        try:
            answer = call(url, payload=payload, timeout_s=self.settings.timeout_s)
        except OSError as exc:
            return network_failure(PROVIDER, exc)
        return self._outcome(answer)

    def _outcome(self, answer: HttpAnswer) -> SendResult | None:
        if answer.status >= 500:
            return SendResult(SendStatus.RETRYABLE, PROVIDER, code=f"http_{answer.status}")
        code = answer.errcode()
        body = answer.body if isinstance(answer.body, dict) else {}
        message = detail(body.get("errmsg", ""))
        if code == 0:
            return SendResult(SendStatus.ACCEPTED, PROVIDER, provider_id=str(body.get("msgid", "")))
        if code in TOKEN_INVALID:
            return None
        if code in PERMANENT:
            return SendResult(SendStatus.PERMANENT, PROVIDER, code=str(code), detail=message)
        if code in RETRYABLE or code is None:
            return SendResult(SendStatus.RETRYABLE, PROVIDER, code=str(code if code is not None else answer.status))
        # 40037 template id, 41030 page, and anything unknown: configuration to fix, retried until it is
        return SendResult(SendStatus.PROVIDER_REJECTED, PROVIDER, code=str(code), detail=message)
