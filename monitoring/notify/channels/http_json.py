"""JSON over HTTP with a bounded time for the providers without an SDK here (WeChat, WeCom): one call, the
status and the decoded body back; network failures and timeouts raised for the caller to map."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class HttpAnswer:
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body

    def errcode(self) -> int | None:
        """WeChat and WeCom answer 200 with {errcode, errmsg}; None when the body has none."""
        if isinstance(self.body, dict) and "errcode" in self.body:
            try:
                return int(self.body["errcode"])
            except (TypeError, ValueError):
                return None
        return None


def call(url: str, *, payload: Any = None, timeout_s: float) -> HttpAnswer:
    """GET `url` (payload None) or POST `payload` as JSON; raises OSError (URLError, TimeoutError) on no answer."""
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers, method="GET" if data is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        body = None
    return HttpAnswer(status, body)
