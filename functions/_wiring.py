"""Composition root of the Lambda handlers: environment → frozen Settings → adapters, once per cold start.

The only module of `functions` that reads `os.environ` or names a storage adapter. Tests point it at
sqlite (or memory) with `configure(...)`; local mode calls the same handlers with the same wiring.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import hj212
from monitoring.clock import Clock, SystemClock
from monitoring.errors import InvalidInputError
from monitoring.ingest.decode import Decoder, DecodeSettings
from monitoring.ingest.isolate import DeadLetters
from monitoring.ingest.registry_cache import RegistryCache
from monitoring.ingest.split_cache import SplitCache
from monitoring.profiles.loader import DEFAULT_DIR, load_profiles
from monitoring.profiles.models import Profile
from monitoring.readings.models import Reading
from monitoring.storage.ports import Store

BACKENDS = ("sqlite", "memory", "dynamodb")


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob of the handlers, read from the environment once."""

    service: str = "gongkuang"
    store_backend: str = "sqlite"  # STORE_BACKEND: sqlite | memory | dynamodb
    sqlite_path: str = "/tmp/gongkuang.db"  # SQLITE_PATH
    dynamodb_table_prefix: str = "gongkuang"  # DYNAMODB_TABLE_PREFIX
    dynamodb_region: str = ""  # AWS_REGION (set by Lambda)
    dynamodb_endpoint: str = ""  # DYNAMODB_ENDPOINT: DynamoDB Local / moto server; "" = AWS
    profiles_dir: str = str(DEFAULT_DIR)  # PROFILES_DIR
    skew_alarm_s: float = 300.0  # CLOCK_SKEW_ALARM_S
    rollup: bool = True  # DECODE_ROLLUP
    state_refresh_s: float = 60.0  # TERMINAL_STATE_REFRESH_S
    registry_cache_s: float = 60.0  # REGISTRY_CACHE_S: how long a warm container trusts terminals/bindings
    county_id: str = "rugao"  # COUNTY_ID: the registry county the rules evaluate
    rules_defaults: str = ""  # RULES_DEFAULTS_PATH: "" = data/rules_defaults.json
    rules_overrides: str = ""  # RULES_OVERRIDES_PATH: optional JSON of per enterprise/association/point overrides
    dead_letter_queue_url: str = ""  # DECODE_DEAD_LETTER_QUEUE_URL: SQS queue decode sets poison records aside in

    def decode_settings(self) -> DecodeSettings:
        return DecodeSettings(
            skew_alarm_s=self.skew_alarm_s,
            rollup=self.rollup,
            rollup_grace=timedelta(seconds=60),
            state_refresh=timedelta(seconds=self.state_refresh_s),
        )


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """Parse and validate the environment; a bad value fails the cold start with a clear message."""
    backend = env.get("STORE_BACKEND", "sqlite")
    if backend not in BACKENDS:
        raise InvalidInputError(f"STORE_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")
    skew = _seconds(env, "CLOCK_SKEW_ALARM_S", "300")
    refresh = _seconds(env, "TERMINAL_STATE_REFRESH_S", "60")
    cache_s = _seconds(env, "REGISTRY_CACHE_S", "60")
    rollup = env.get("DECODE_ROLLUP", "true").lower()
    if rollup not in ("true", "false", "1", "0"):
        raise InvalidInputError("DECODE_ROLLUP must be true or false")
    return Settings(
        service=env.get("POWERTOOLS_SERVICE_NAME", "gongkuang"),
        store_backend=backend,
        sqlite_path=env.get("SQLITE_PATH", "/tmp/gongkuang.db"),
        dynamodb_table_prefix=env.get("DYNAMODB_TABLE_PREFIX", "gongkuang"),
        dynamodb_region=env.get("AWS_REGION", ""),
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT", ""),
        profiles_dir=env.get("PROFILES_DIR", str(DEFAULT_DIR)),
        skew_alarm_s=skew,
        rollup=rollup in ("true", "1"),
        state_refresh_s=refresh,
        registry_cache_s=cache_s,
        county_id=env.get("COUNTY_ID", "rugao"),
        rules_defaults=env.get("RULES_DEFAULTS_PATH", ""),
        rules_overrides=env.get("RULES_OVERRIDES_PATH", ""),
        dead_letter_queue_url=env.get("DECODE_DEAD_LETTER_QUEUE_URL", ""),
    )


def _seconds(env: Mapping[str, str], name: str, default: str) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError as exc:
        raise InvalidInputError(f"{name} must be a number of seconds") from exc
    if not 0 <= value <= 86_400:
        raise InvalidInputError(f"{name} must be within 0..86400 seconds")
    return value


_override: Settings | None = None
_clock_override: Clock | None = None
_dead_letters_override: DeadLetters | None = None


def configure(settings: Settings | None, *, clock: Clock | None = None) -> None:
    """Use `settings` (and `clock`) instead of the environment and the wall clock (tests, local mode);
    None goes back to the environment."""
    global _override, _clock_override, _dead_letters_override
    _override, _clock_override, _dead_letters_override = settings, clock, None
    reset()


def use_dead_letters(dead_letters: DeadLetters | None) -> None:
    """Set decode's poison records aside here (local mode: the frame queue's dead_frames); after `configure`."""
    global _dead_letters_override
    _dead_letters_override = dead_letters
    get_dead_letters.cache_clear()


def reset() -> None:
    """Forget the cached settings and adapters (a new 'cold start')."""
    for cached in (
        get_settings,
        get_store,
        get_profiles,
        get_clock,
        get_registry_cache,
        get_split_cache,
        get_rule_inputs,
        get_rule_config,
        get_dead_letters,
    ):
        cached.cache_clear()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return _override if _override is not None else settings_from_env(os.environ)


@lru_cache(maxsize=1)
def get_profiles() -> Mapping[str, Profile]:
    return load_profiles(get_settings().profiles_dir)


@lru_cache(maxsize=1)
def get_clock() -> Clock:
    return _clock_override or SystemClock()


@lru_cache(maxsize=1)
def get_registry_cache() -> RegistryCache:
    return RegistryCache(get_clock(), ttl=timedelta(seconds=get_settings().registry_cache_s))


@lru_cache(maxsize=1)
def get_layout_cache() -> hj212.LayoutCache:
    """The frame layouts hj212's fast path has learnt (a warm container's, or local's): bounded by hj212."""
    return hj212.LayoutCache()


@lru_cache(maxsize=1)
def get_split_cache() -> SplitCache:
    """Packets of split uploads awaiting their siblings in a later batch (a warm container's, or local's)."""
    return SplitCache()


def new_decoder() -> Decoder:
    """A decoder for one batch, on the adapters of this cold start."""
    from monitoring.rules.store_inputs import note_late_readings

    settings, clock, store = get_settings(), get_clock(), get_store()

    def reopen_rule_windows(stored: Sequence[Reading]) -> None:
        with store.batch():  # a batch's backfill notes in one transaction, not one per point
            note_late_readings(store.rule_state, stored, clock.now())  # backfill raises or retracts alarms on data time

    return Decoder(
        store,
        clock,
        get_profiles(),
        settings.decode_settings(),
        cache=get_registry_cache(),
        on_stored=reopen_rule_windows,
        split_cache=get_split_cache(),
        layouts=get_layout_cache(),
    )


@lru_cache(maxsize=1)
def get_dead_letters() -> DeadLetters | None:
    """Where decode sets poison records aside; None: it reports them as batch item failures instead."""
    if _dead_letters_override is not None:
        return _dead_letters_override
    url = get_settings().dead_letter_queue_url
    if not url:
        return None
    from functions.adapters.sqs_dead_letters import SqsDeadLetters

    return SqsDeadLetters(url, region=get_settings().dynamodb_region or None)


@lru_cache(maxsize=1)
def get_store() -> Store:
    """Every repository on the configured backend: one store (one sqlite connection) per cold start."""
    settings = get_settings()
    if settings.store_backend == "memory":
        from monitoring.storage.memory import memory_store

        return memory_store(clock=get_clock())
    if settings.store_backend == "sqlite":
        from monitoring.storage.sqlite import open_store

        return open_store(settings.sqlite_path, clock=get_clock())
    # Imported lazily: only the AWS deployment loads boto3/PynamoDB (the tables are made by the CDK stack).
    from monitoring.storage.dynamodb import open_store as open_dynamodb_store

    store: Store = open_dynamodb_store(
        region=settings.dynamodb_region or None,
        host=settings.dynamodb_endpoint or None,
        table_prefix=settings.dynamodb_table_prefix,
        clock=get_clock(),
    )
    return store


# ---- rules area (evaluation, escalation) ----------------------------------------------------------------


@lru_cache(maxsize=1)
def get_rule_inputs() -> Any:
    from monitoring.rules.store_inputs import StoreRuleInputs

    store = get_store()
    reader = None if store.sample_reader is None else store.sample_reader()  # cached across warm ticks
    return StoreRuleInputs(store, store.rule_state, get_settings().county_id, reader=reader)


@lru_cache(maxsize=1)
def get_rule_config() -> Any:
    """Defaults (+ overrides file) + the registry's association parameters, validated once per cold start."""
    import json

    from monitoring.rules.config import load_defaults

    settings = get_settings()
    config = load_defaults(Path(settings.rules_defaults) if settings.rules_defaults else None)
    if settings.rules_overrides:
        try:
            raw = json.loads(Path(settings.rules_overrides).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"RULES_OVERRIDES_PATH unreadable: {exc}") from exc
        config = config.with_overrides(raw)
    return get_rule_inputs().config(config)


def branch_of(enterprise_id: str) -> str | None:
    """The enforcement branch an enterprise belongs to (escalations are dispatched there)."""
    found = get_store().registry.find_enterprise(enterprise_id)
    return None if found is None else found.branch_id
