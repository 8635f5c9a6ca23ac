"""Composition root of the API: settings → the store and the services the routes use, once per process.

The only module of miniprogram_api that names a storage adapter (tests/test_import_contracts.py). Lambda builds
its services from the environment on first use; `python -m local run` and the tests call `configure(...)`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher

from miniprogram_api.chalicelib.ratelimit import RateLimiter
from miniprogram_api.chalicelib.settings import ENV_PREFIX, ApiSettings
from miniprogram_api.chalicelib.sms import LogSmsSender, ProviderSmsSender, SmsCodeSender
from monitoring.accounts.passwords import DEFAULT_HASHER
from monitoring.clock import Clock, SystemClock
from monitoring.evidence.delivered import DeliveredArchive
from monitoring.photos.ports import PhotoBlobStore
from monitoring.profiles.models import Profile
from monitoring.storage.opener import StoreLocation, open_store_at
from monitoring.storage.ports import Store
from monitoring.storage.retention import RetentionPolicy


@dataclass
class Services:
    """What the routes reach through `ctx.services`: one store, the clock, and the API's own helpers."""

    settings: ApiSettings
    store: Store
    clock: Clock  # the platform's time (accelerated in a demo)
    login_limiter: RateLimiter
    # argon2id at argon2-cffi's defaults; only tests pass a cheaper one (it is not a setting anyone can turn down).
    hasher: PasswordHasher = DEFAULT_HASHER
    sms: SmsCodeSender | None = None  # None: SMS login is not offered (503)
    wall: Clock = field(default_factory=SystemClock)  # tokens, lockouts and codes age in wall time
    extras: dict[str, Any] = field(default_factory=dict)


log = logging.getLogger(__name__)
_lock = threading.Lock()
_current: Services | None = None


def open_store(settings: ApiSettings, clock: Clock | None = None) -> Store:
    return open_store_at(
        StoreLocation(
            backend=settings.store_backend,
            sqlite_path=settings.sqlite_path,
            dynamodb_region=settings.dynamodb_region,
            dynamodb_endpoint=settings.dynamodb_endpoint,
            table_prefix=settings.dynamodb_table_prefix,
            retention=RetentionPolicy(minute_days=settings.minute_reading_days),
            reading_buckets=settings.reading_buckets,
        ),
        clock=clock,
    )


def _build(
    settings: ApiSettings,
    store: Store | None,
    clock: Clock | None,
    hasher: PasswordHasher = DEFAULT_HASHER,
    sms: SmsCodeSender | None = None,
) -> Services:
    clock = clock or SystemClock()
    if sms is None and settings.sms_sender == "log":
        sms = LogSmsSender()
    elif sms is None and settings.sms_sender == "provider":
        secret = settings.sms_channels_secret
        sms = provider_sms_sender({"NOTIFY_CHANNELS_SECRET": secret} if secret else os.environ)
    return Services(
        hasher=hasher,
        sms=sms,
        settings=settings,
        store=store if store is not None else open_store(settings, clock),
        clock=clock,
        login_limiter=RateLimiter(settings.login_rate_per_minute / 60.0, settings.login_burst),
    )


def provider_sms_sender(env: Mapping[str, str]) -> SmsCodeSender | None:
    """The notify SMS providers, from the settings the notify sender reads (NOTIFY_CHANNELS_JSON / _FILE / _SECRET);
    None (SMS binding answers 503, everything else serves) when none are configured, with an error in the log."""
    from monitoring.accounts.binding import SMS_TTL
    from monitoring.notify.channels.wiring import build_channels, settings_from_env
    from monitoring.notify.ports import ChannelKind
    from monitoring.notify.templates import TemplateBook

    channel_settings = settings_from_env(env, read_secret=read_secret)
    channels = build_channels(channel_settings).get(ChannelKind.SMS, []) if channel_settings is not None else []
    if not channels:
        log.error("API_SMS_SENDER=provider but no SMS provider is configured (NOTIFY_CHANNELS_*): SMS binding is off")
        return None
    return ProviderSmsSender(channels, TemplateBook.load(), SMS_TTL)


def configure(
    settings: ApiSettings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher = DEFAULT_HASHER,
    sms: SmsCodeSender | None = None,
) -> Services:
    """Install the services the app uses from now on (the caller owns `store` when it passes one)."""
    built = _build(settings, store, clock, hasher, sms)
    install(built)
    return built


# The secret settings and the variable naming where each is kept (ApiSettings.<field>_source).
SECRET_FIELDS = ("token_key", "wechat_secret")
SSM_PREFIX = "ssm:"


class SecretUnavailableError(RuntimeError):
    """A secret named by API_*_SOURCE could not be read (missing, no permission, service unreachable)."""


def read_secret(source: str) -> str:
    """The value kept at `source`: "ssm:<name>" (SSM SecureString, decrypted) or a Secrets Manager id/ARN.

    boto3 finds its region and endpoint the usual way (AWS_REGION, AWS_ENDPOINT_URL_*), as Lambda and tests set them."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if source.startswith(SSM_PREFIX):
            answer = boto3.client("ssm").get_parameter(Name=source[len(SSM_PREFIX) :], WithDecryption=True)
            value = answer["Parameter"]["Value"]
        else:
            value = boto3.client("secretsmanager").get_secret_value(SecretId=source)["SecretString"]
    except (BotoCoreError, ClientError, KeyError) as exc:  # the message names the source, never a value
        raise SecretUnavailableError(f"secret {source!r} not readable: {type(exc).__name__}: {exc}") from None
    if not isinstance(value, str) or not value.strip():
        raise SecretUnavailableError(f"secret {source!r} is empty")
    return value.strip()


def settings_from_environment() -> ApiSettings:
    """ApiSettings from the API_* variables, each secret fetched from where API_<FIELD>_SOURCE says it is kept."""
    fetched = {}
    for name in SECRET_FIELDS:
        source = os.environ.get(f"{ENV_PREFIX}{name.upper()}_SOURCE", "").strip()
        if source:
            fetched[name] = read_secret(source)
    return ApiSettings(**fetched)  # type: ignore[arg-type]  # pydantic turns str into SecretStr


def services() -> Services:
    """The configured services; on first use in Lambda, built from the environment (API_* variables)."""
    global _current
    current = _current
    if current is not None:
        return current
    with _lock:
        if _current is None:
            _current = _build(settings_from_environment(), None, None)
        return _current


def photo_blobs(svc: Services) -> PhotoBlobStore:
    """Where photo bytes go (settings.photo_store), made once per process and kept in `svc.extras`."""
    found = svc.extras.get("photo_blobs")
    if found is None:
        settings = svc.settings
        if settings.photo_store == "s3":
            from monitoring.storage.photo_blobs.s3 import open_s3_photo_blobs

            found = open_s3_photo_blobs(settings.photo_bucket, settings.photo_region, settings.photo_endpoint)
        else:
            from monitoring.storage.photo_blobs.local import LocalPhotoBlobs

            found = LocalPhotoBlobs(settings.photo_dir)
        svc.extras["photo_blobs"] = found
    return found


def delivered_archive(svc: Services) -> DeliveredArchive | None:
    """Where evidence packages read frames and proof on AWS (settings.archive_bucket: the S3 archive and the chain's
    links on the store), made once per process; None: the store's own archive (local mode)."""
    settings = svc.settings
    if not settings.archive_bucket:
        return None
    found = svc.extras.get("delivered_archive")
    if found is None:
        from monitoring.storage.archive_s3 import open_s3_archive

        reader = open_s3_archive(settings.archive_bucket, settings.archive_region, settings.archive_endpoint)
        found = svc.extras["delivered_archive"] = DeliveredArchive(svc.store.chain_heads, reader)
    return found


def profiles(svc: Services) -> Mapping[str, Profile]:
    """The protocol profiles (settings.profiles_dir, else the repository's data/profiles), loaded once."""
    found = svc.extras.get("profiles")
    if found is None:
        from monitoring.profiles.loader import DEFAULT_DIR, load_profiles

        found = load_profiles(svc.settings.profiles_dir or DEFAULT_DIR)
        svc.extras["profiles"] = found
    return found


def install(chosen: Services | None) -> Services | None:
    """Make `chosen` the services in use (None: build from the environment on next use); returns the previous ones,
    so a test can put them back. The store is closed by whoever opened it."""
    global _current
    with _lock:
        previous, _current = _current, chosen
    return previous
