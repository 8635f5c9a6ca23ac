"""The notification adapters of this cold start: the decide service, the provider channels (set by the local
runner and tests with `use_channels`; in AWS built from settings by the provider package), the sender, and the
request that makes the sender run when something was enqueued (AWS: an asynchronous invoke of NotifySend)."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from functions import _wiring
from monitoring.notify.breaker import CircuitBreakers
from monitoring.notify.channels.wechat_subscribe import WechatSubscribe
from monitoring.notify.models import Notification, Status
from monitoring.notify.ports import Channel, ChannelKind, OutboxRepository, ReceiptSource
from monitoring.notify.routing import RoutingTable
from monitoring.notify.sender import Sender
from monitoring.notify.service import NotifyService
from monitoring.notify.templates import TemplateBook

if TYPE_CHECKING:
    from functions.adapters.lambda_invoke import LambdaAsyncInvoke

log = logging.getLogger("functions.notify")
_channels_override: Mapping[ChannelKind, Sequence[Channel]] | None = None


def use_channels(channels: Mapping[ChannelKind, Sequence[Channel]] | None) -> None:
    """Send through these providers (local mode: the loopback stubs or real clients; tests); None: from settings."""
    global _channels_override
    _channels_override = channels
    _built.clear()


@lru_cache(maxsize=1)
def get_routes() -> RoutingTable:
    path = _wiring.get_settings().notify_routes
    return RoutingTable.load(Path(path) if path else None)


@lru_cache(maxsize=1)
def get_templates() -> TemplateBook:
    path = _wiring.get_settings().notify_templates
    return TemplateBook.load(Path(path) if path else None)


UNUSABLE_RETRY_S = 60.0  # unusable channel settings are read again after this long (an operator may fix them)
_built: list[tuple[float, Mapping[ChannelKind, Sequence[Channel]]]] = []  # (monotonic expiry, channels)


def get_channels() -> Mapping[ChannelKind, Sequence[Channel]]:
    """The override, else the clients the environment configures (NOTIFY_CHANNELS_JSON / _FILE / _SECRET, SNS).
    Only the sender calls this in AWS (only it may read the secret). Settings that cannot be read or parsed are
    logged (masked) and give no channel: entries stay queued and visible, and the settings are read again later."""
    if _channels_override is not None:
        return _channels_override
    if _built and _built[0][0] > time.monotonic():
        return _built[0][1]
    from functions.adapters.notify_channels import channels_from_aws  # the SDKs are heavy: first use only
    from monitoring.notify.channels.wiring import ChannelSettingsUnusable

    try:
        channels: Mapping[ChannelKind, Sequence[Channel]] = channels_from_aws(
            os.environ, wechat_templates=_configured_wechat_templates()
        )
        expiry = float("inf")
    except ChannelSettingsUnusable as exc:
        log.error("notification channel settings unusable, nothing is sent until fixed: %s", exc)
        channels, expiry = {}, time.monotonic() + UNUSABLE_RETRY_S
    _built[:] = [(expiry, channels)]
    return channels


def _configured_wechat_templates() -> dict[str, str] | None:
    """NOTIFY_WECHAT_TEMPLATES parsed; None when unset; {} (no WeChat message decided) when malformed."""
    text = _wiring.get_settings().notify_wechat_templates
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        return dict(value)
    log.error("NOTIFY_WECHAT_TEMPLATES is not a JSON object of template name to id: no WeChat message is decided")
    return {}


def wechat_template_ids() -> Mapping[str, str] | None:
    """Logical template → subscribe template id (grants are counted per id): NOTIFY_WECHAT_TEMPLATES, else the
    map of a WeChat channel set with `use_channels` (local mode, tests); None when neither. Never reads the
    channels secret: deciding must work in functions that may not read it."""
    configured = _configured_wechat_templates()
    if configured is not None:
        return configured
    for channel in (_channels_override or {}).get(ChannelKind.WECHAT_SUBSCRIBE, ()):
        if isinstance(channel, WechatSubscribe):
            return dict(channel.settings.templates)
    return None


@lru_cache(maxsize=1)
def get_service() -> NotifyService:
    """For alarms (the county comes from each alarm's enterprise); one per cold start / process: it remembers
    which alarm versions it has decided (a cache; the outbox keys dedupe)."""
    return NotifyService(
        _wiring.get_store(),
        _wiring.get_settings().county_id,
        routes=get_routes(),
        templates=get_templates(),
        wechat_templates=wechat_template_ids(),
    )


def receipt_sources() -> dict[str, ReceiptSource]:
    """The configured channels that also report delivery, by provider name."""
    return {c.provider: c for cs in get_channels().values() for c in cs if isinstance(c, ReceiptSource)}


_county_services: dict[str, NotifyService] = {}


def county_services() -> list[NotifyService]:
    """One service per county of the registry (AWS serves every county; local one): emergency alerts, digests."""
    store, out = _wiring.get_store(), []
    for county in store.registry.list_counties():
        if county.county_id not in _county_services:
            _county_services[county.county_id] = NotifyService(
                store,
                county.county_id,
                routes=get_routes(),
                templates=get_templates(),
                wechat_templates=wechat_template_ids(),
                home_county=_wiring.get_settings().county_id,
            )
        out.append(_county_services[county.county_id])
    return out


@lru_cache(maxsize=1)
def get_breakers() -> CircuitBreakers:
    """One per process: a provider that kept timing out is skipped by every sender of this process for a while."""
    return CircuitBreakers()


def new_sender(owner: str) -> Sender:
    return Sender(
        _wiring.get_store().outbox,
        get_channels(),
        get_templates(),
        get_routes().settings,
        _wiring.get_clock().now,
        owner=owner,
        receipt_providers=frozenset(receipt_sources()),
        wechat_templates=wechat_template_ids(),
        breakers=get_breakers(),
    )


def get_outbox() -> OutboxRepository:
    return _wiring.get_store().outbox


def now() -> datetime:
    return _wiring.get_clock().now()


_receipts_asked: list[float] = []  # when this process last asked the providers for delivery reports


def receipts_due(every_s: float) -> bool:
    """True (and noted) if this process has not asked for delivery reports in the last `every_s` seconds."""
    now_s = time.monotonic()
    if _receipts_asked and now_s - _receipts_asked[0] < every_s:
        return False
    _receipts_asked[:] = [now_s]
    return True


SEND_TRIGGER = "enqueued"  # NotifySend's event from an enqueuing function: {"trigger": SEND_TRIGGER, "due": iso}
LOOKAHEAD_SLACK = timedelta(seconds=5)  # beyond the coalescing window: a first retry (10 s), an index's lag


def driven_horizon() -> timedelta:
    """How far ahead a driven send looks: entries due within it are sent by the run an enqueuer asked for (it
    waits for them); later ones (quiet hours, long holds, later retries) by the scheduled safety net."""
    return get_routes().settings.coalesce_window + LOOKAHEAD_SLACK


@lru_cache(maxsize=1)
def get_send_trigger() -> LambdaAsyncInvoke | None:
    """The asynchronous invoke of the sender (NOTIFY_SEND_FUNCTION, AWS); None locally, where the worker polls."""
    settings = _wiring.get_settings()
    if not settings.notify_send_function:
        return None
    from functions.adapters.lambda_invoke import LambdaAsyncInvoke

    return LambdaAsyncInvoke(settings.notify_send_function, region=settings.dynamodb_region or None)


def request_send(decided: Sequence[Notification], now: datetime) -> datetime | None:
    """Ask the sender to run for what was just enqueued: the due time asked for, None if not asked (no trigger
    here, nothing queued, or nothing due within `driven_horizon`: the safety net sends that). A failed invoke is
    logged, not raised: the entries are stored and the safety net sends them within its period."""
    trigger = get_send_trigger()
    dues = [n.not_before for n in decided if n.status is Status.QUEUED]
    if trigger is None or not dues:
        return None
    due = max(min(dues), now)
    if due > now + driven_horizon():
        return None
    return due if trigger.invoke({"trigger": SEND_TRIGGER, "due": due.isoformat()}) else None


def reset() -> None:
    for cached in (get_routes, get_templates, get_service, get_send_trigger):
        cached.cache_clear()
    _built.clear()
    _county_services.clear()
    _receipts_asked.clear()
