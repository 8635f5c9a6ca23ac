"""Shared by the clients: what a network failure means (retryable, "timeout" when the time ran out), and the
provider detail a SendResult may carry (phone numbers masked, bounded)."""

from __future__ import annotations

import socket

from monitoring.notify.masking import mask_phones
from monitoring.notify.ports import SendResult, SendStatus

_TIMEOUT_WORDS = ("timeout", "timed out")


def is_timeout(exc: BaseException) -> bool:
    """True for a connect or read timeout, however deep the client library wrapped it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError | socket.timeout):
            return True
        text = f"{type(current).__name__} {current}".lower()
        if any(word in text for word in _TIMEOUT_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False


def detail(text: object, limit: int = 200) -> str:
    return mask_phones(str(text))[:limit]


def network_failure(provider: str, exc: BaseException) -> SendResult:
    """A request that got no provider answer: retry later (or on the next provider)."""
    code = "timeout" if is_timeout(exc) else "network"
    return SendResult(SendStatus.RETRYABLE, provider, code=code, detail=detail(f"{type(exc).__name__}: {exc}"))
