"""The notification adapters of this cold start: the decide service, the provider channels (set by the local
runner and tests with `use_channels`; in AWS built from settings by the provider package), the sender."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from functions import _wiring
from monitoring.notify.ports import Channel, ChannelKind, OutboxRepository, ReceiptSource
from monitoring.notify.routing import RoutingTable
from monitoring.notify.sender import Sender
from monitoring.notify.service import NotifyService
from monitoring.notify.templates import TemplateBook

_channels_override: Mapping[ChannelKind, Sequence[Channel]] | None = None


def use_channels(channels: Mapping[ChannelKind, Sequence[Channel]] | None) -> None:
    """Send through these providers (local mode: the loopback stubs or real clients; tests); None: from settings."""
    global _channels_override
    _channels_override = channels
    get_channels.cache_clear()


@lru_cache(maxsize=1)
def get_routes() -> RoutingTable:
    path = os.environ.get("NOTIFY_ROUTES_PATH", "")
    return RoutingTable.load(None if not path else Path(path))


@lru_cache(maxsize=1)
def get_templates() -> TemplateBook:
    path = os.environ.get("NOTIFY_TEMPLATES_PATH", "")
    return TemplateBook.load(None if not path else Path(path))


@lru_cache(maxsize=1)
def get_channels() -> Mapping[ChannelKind, Sequence[Channel]]:
    """The override, else the clients the environment configures (NOTIFY_CHANNELS_JSON / _FILE / _SECRET, SNS)."""
    if _channels_override is not None:
        return _channels_override
    from functions.adapters.notify_channels import channels_from_aws  # the SDKs are heavy: first use only

    return channels_from_aws(os.environ)


@lru_cache(maxsize=1)
def get_service() -> NotifyService:
    """One per cold start / process: it remembers which alarm versions it has decided (a cache; keys dedupe)."""
    return NotifyService(
        _wiring.get_store(), _wiring.get_settings().county_id, routes=get_routes(), templates=get_templates()
    )


def receipt_sources() -> dict[str, ReceiptSource]:
    """The configured channels that also report delivery, by provider name."""
    return {c.provider: c for cs in get_channels().values() for c in cs if isinstance(c, ReceiptSource)}


def new_sender(owner: str) -> Sender:
    return Sender(
        _wiring.get_store().outbox,
        get_channels(),
        get_templates(),
        get_routes().settings,
        _wiring.get_clock().now,
        owner=owner,
        receipt_providers=frozenset(receipt_sources()),
    )


def get_outbox() -> OutboxRepository:
    return _wiring.get_store().outbox


def now() -> datetime:
    return _wiring.get_clock().now()


def reset() -> None:
    for cached in (get_routes, get_templates, get_channels, get_service):
        cached.cache_clear()
