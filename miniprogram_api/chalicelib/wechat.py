"""WeChat's `jscode2session`: a wx.login code → the person's openid, over HTTPS at a configurable base URL.

Errors are WeChat's errcodes mapped to API errors (40029/40163 bad code → 401, 45011 → 429, -1 busy → 503).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlencode

from miniprogram_api.chalicelib.errors import ApiError, rate_limited, unauthenticated
from miniprogram_api.chalicelib.settings import ApiSettings

log = logging.getLogger("miniprogram_api.wechat")
MAX_ANSWER = 64 * 1024
_BAD_CODE = (40029, 40163, 40226)  # invalid code, code already used, high-risk user blocked


def _unavailable(message: str = "微信服务暂时不可用，请稍后重试") -> ApiError:
    return ApiError(503, "wechat_unavailable", message, headers={"Retry-After": "5"})


def openid_for(code: str, settings: ApiSettings) -> str:
    """The openid WeChat returns for `code` (one-time, from wx.login); raises ApiError on every failure."""
    if not settings.wechat_appid or not settings.wechat_secret.get_secret_value():
        raise _unavailable("微信登录未配置，请联系管理员")
    query = urlencode(
        {
            "appid": settings.wechat_appid,
            "secret": settings.wechat_secret.get_secret_value(),
            "js_code": code,
            "grant_type": "authorization_code",
        }
    )
    url = settings.wechat_base_url.rstrip("/") + "/sns/jscode2session?" + query
    try:
        with urllib.request.urlopen(url, timeout=settings.wechat_timeout_s) as response:  # noqa: S310 - https/loopback
            raw = response.read(MAX_ANSWER + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        log.warning("jscode2session unreachable", extra={"fields": {"error": type(exc).__name__}})
        raise _unavailable() from None
    try:
        answer = json.loads(raw[:MAX_ANSWER])
    except ValueError:
        raise _unavailable() from None
    if not isinstance(answer, dict):
        raise _unavailable()
    errcode = answer.get("errcode", 0)
    openid = answer.get("openid")
    if errcode in (0, None) and isinstance(openid, str) and 0 < len(openid) <= 128 and openid.isprintable():
        return openid
    log.info("jscode2session refused", extra={"fields": {"errcode": errcode, "errmsg": str(answer.get("errmsg"))[:80]}})
    if errcode in _BAD_CODE:
        raise unauthenticated("微信登录凭证无效或已使用，请重新进入小程序", "wechat_code_invalid")
    if errcode == 45011:
        raise rate_limited(60, "微信登录过于频繁，请稍后再试", "wechat_rate_limited")
    raise _unavailable()
