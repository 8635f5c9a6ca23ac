"""Composition root of the API: settings → the store and the services the routes use, once per process.

The only module of miniprogram_api that names a storage adapter (tests/test_import_contracts.py). Lambda builds
its services from the environment on first use; `python -m local run` and the tests call `configure(...)`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher

from miniprogram_api.chalicelib.ratelimit import RateLimiter
from miniprogram_api.chalicelib.settings import ApiSettings
from miniprogram_api.chalicelib.sms import LogSmsSender, SmsCodeSender
from monitoring.accounts.passwords import DEFAULT_HASHER
from monitoring.clock import Clock, SystemClock
from monitoring.photos.ports import PhotoBlobStore
from monitoring.profiles.models import Profile
from monitoring.storage.opener import StoreLocation, open_store_at
from monitoring.storage.ports import Store


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
    return Services(
        hasher=hasher,
        sms=sms,
        settings=settings,
        store=store if store is not None else open_store(settings, clock),
        clock=clock,
        login_limiter=RateLimiter(settings.login_rate_per_minute / 60.0, settings.login_burst),
    )


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


def services() -> Services:
    """The configured services; on first use in Lambda, built from the environment (API_* variables)."""
    global _current
    current = _current
    if current is not None:
        return current
    with _lock:
        if _current is None:
            _current = _build(ApiSettings(), None, None)
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
