"""Composition root of the Lambda handlers: environment → frozen Settings → adapters, once per cold start.

The only module of `functions` that reads `os.environ` or names a storage adapter. Tests point it at
sqlite (or memory) with `configure(...)`; local mode calls the same handlers with the same wiring.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import hj212
from monitoring.clock import Clock, SystemClock
from monitoring.errors import InvalidInputError
from monitoring.ingest.decode import Decoder, DecodeSettings
from monitoring.ingest.isolate import DeadLetters
from monitoring.ingest.liveness_notes import LivenessNotes
from monitoring.ingest.registry_cache import RegistryCache
from monitoring.ingest.rollup_ledger import RollupLedger
from monitoring.ingest.split_cache import SplitCache
from monitoring.ingest.terminal_state import FrameGaps
from monitoring.profiles.loader import DEFAULT_DIR, load_profiles
from monitoring.profiles.models import Profile
from monitoring.readings.models import Reading
from monitoring.rules.decode_watermark import DecodeProgress
from monitoring.rules.event_cache import TerminalEventCache
from monitoring.rules.people_cache import PeopleDocsCache
from monitoring.rules.shards import CADENCES
from monitoring.rules.state_cache import RuleStateCache
from monitoring.rules.store_inputs import StoreRuleInputs
from monitoring.rules.warm_shards import WarmShards
from monitoring.rules.warm_snapshot import SnapshotBlobs
from monitoring.storage.opener import StoreLocation, open_store_at
from monitoring.storage.ports import Store
from monitoring.storage.retention import RetentionPolicy

if TYPE_CHECKING:
    from monitoring.evidence.delivered import DeliveredArchive
    from monitoring.photos.ports import PhotoBlobStore


def _env(variable: str, default: Any, **checks: Any) -> Any:
    return Field(default, validation_alias=variable, **checks)


class Settings(BaseModel):
    """Every knob of the handlers, read from the environment once (field: its variable). A pydantic model,
    as the listener's and local's pydantic-settings models are; constructing one never reads the environment."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, str_strip_whitespace=True, allow_inf_nan=False)

    service: str = _env("POWERTOOLS_SERVICE_NAME", "gongkuang")
    store_backend: Literal["sqlite", "memory", "dynamodb"] = _env("STORE_BACKEND", "sqlite")
    sqlite_path: str = _env("SQLITE_PATH", "/tmp/gongkuang.db")
    dynamodb_table_prefix: str = _env("DYNAMODB_TABLE_PREFIX", "gongkuang")
    dynamodb_region: str = _env("AWS_REGION", "")  # set by Lambda
    dynamodb_endpoint: str = _env("DYNAMODB_ENDPOINT", "")  # DynamoDB Local / moto server; "" = AWS
    profiles_dir: str = _env("PROFILES_DIR", str(DEFAULT_DIR))
    skew_alarm_s: float = _env("CLOCK_SKEW_ALARM_S", 300.0, ge=0, le=86_400)
    rollup: bool = _env("DECODE_ROLLUP", True)
    # Each point's hourly roll-up at its own minute of the next hour (AWS: no top-of-hour read spike on `readings`)
    rollup_spread: bool = _env("DECODE_ROLLUP_SPREAD", False)
    state_refresh_s: float = _env("TERMINAL_STATE_REFRESH_S", 60.0, ge=0, le=86_400)
    # Seconds between writes of each liveness sheet (monitoring.registry.liveness): decode keeps last-frame times
    # there instead of rewriting each terminal's item; 0 = off. Only for one warm decode process (the county host):
    # a Lambda's pending times would die with its container.
    terminal_liveness_s: float = _env("TERMINAL_LIVENESS_S", 0.0, ge=0, le=600)
    registry_cache_s: float = _env("REGISTRY_CACHE_S", 60.0, ge=0, le=86_400)  # how long a warm container trusts
    # how often decode reads the registry's change mark (drops what an edit changed; a store without one: TTL only)
    registry_mark_check_s: float = _env("REGISTRY_MARK_CHECK_S", 30.0, ge=0, le=3_600)
    # Decode writes each frame to the store's archive; off in AWS, where raw frames live only in the S3 archive
    archive_items: bool = _env("DECODE_ARCHIVE_ITEMS", True)
    # How long minute readings stay in the store (TTL); hourly and daily aggregates are kept (DESIGN.md §7)
    minute_reading_days: int = _env("MINUTE_READING_DAYS", 400, ge=1, le=36_500)
    # Readers also read the county host's reading buckets (one item per point per N minutes, docs/dynamodb.md):
    # true on the county-host stage only; elsewhere no bucket exists and the second query would only cost
    reading_buckets: bool = _env("READING_BUCKETS", False)
    county_id: str = _env("COUNTY_ID", "rugao")  # the county of the one-runner evaluate handler (local mode)
    rules_shard_enterprises: int = _env("RULES_SHARD_ENTERPRISES", 100, ge=1, le=5000)  # fan-out shard size
    rules_plan_cache_s: float = _env("RULES_PLAN_CACHE_S", 300.0, ge=0, le=3600)  # the scheduler reuses its plan
    # Minutes between rule ticks (one of monitoring.rules.shards.CADENCES): the scheduler's tick is floored to it
    rules_every_minutes: int = _env("RULES_EVERY_MINUTES", 1)
    rules_shard_queue_url: str = _env("RULES_SHARD_QUEUE_URL", "")  # SQS queue of rule shards (AWS fan-out)
    # S3 bucket of the rule shards' window snapshots (docs/rules.md, warm_shards); "" = none: a container that did
    # not evaluate a shard's previous tick reads its windows from the store
    rules_snapshot_bucket: str = _env("RULES_SNAPSHOT_BUCKET", "")
    rules_defaults: str = _env("RULES_DEFAULTS_PATH", "")  # "" = data/rules_defaults.json
    rules_overrides: str = _env("RULES_OVERRIDES_PATH", "")  # optional JSON of per enterprise/point overrides
    dead_letter_queue_url: str = _env("DECODE_DEAD_LETTER_QUEUE_URL", "")  # SQS queue for decode's poison records
    # Decode notes how far each Kinesis shard is decoded and the rules judge no later minute (AWS). Off locally, where
    # the scheduler holds the tick on the frame queue instead (docs/local.md, "Rules wait for decode").
    rules_wait_for_decode: bool = _env("RULES_WAIT_FOR_DECODE", False)
    # Lanes decoding each Kinesis shard at once (the event source's parallelization factor): above 1 decode notes its
    # progress per partition-key group instead of per shard (monitoring/rules/decode_watermark.py)
    decode_lanes: int = _env("DECODE_PARALLELIZATION", 1, ge=1, le=10)
    # A group waiting for decode whose newest put is this many minutes older than any group's newest put holds the
    # rules no more (the scheduler logs it and counts DecodeHoldReleased; docs/rules.md, decode_watermark.py)
    decode_hold_max_minutes: int = _env("DECODE_HOLD_MAX_MINUTES", 60, ge=20, le=1440)
    notify_routes: str = _env("NOTIFY_ROUTES_PATH", "")  # "" = data/notify_routes.json
    notify_templates: str = _env("NOTIFY_TEMPLATES_PATH", "")  # "" = data/notify_templates.json
    # The provider settings' Secrets Manager secret (AWS; read by the notify channels, functions/_notify.py)
    notify_channels_secret: str = _env("NOTIFY_CHANNELS_SECRET", "")
    # Logical template → WeChat subscribe template id, a JSON object (not a secret: deciding needs it, and only the
    # sender may read the channels secret); "" = the configured WeChat channel's own map (local mode) or none
    notify_wechat_templates: str = _env("NOTIFY_WECHAT_TEMPLATES", "")
    # SNS SMS for numbers outside the mainland (functions/adapters/notify_channels.py): "" = no SNS channel
    notify_sns_region: str = _env("NOTIFY_SNS_REGION", "")
    notify_sns_sender_id: str = _env("NOTIFY_SNS_SENDER_ID", "")
    notify_sns_endpoint: str = _env("NOTIFY_SNS_ENDPOINT", "")
    # The sender function the enqueuing functions invoke asynchronously (AWS); "" = none (the local worker polls)
    notify_send_function: str = _env("NOTIFY_SEND_FUNCTION", "")

    @model_validator(mode="after")
    def _buckets_on_dynamodb(self) -> Settings:
        if self.reading_buckets and self.store_backend != "dynamodb":
            raise ValueError(f"READING_BUCKETS needs STORE_BACKEND=dynamodb, not {self.store_backend}")
        if self.terminal_liveness_s and self.store_backend != "dynamodb":
            # sqlite: the notes would move on before the batch's transaction commits (docs/decode.md)
            raise ValueError(f"TERMINAL_LIVENESS_S needs STORE_BACKEND=dynamodb, not {self.store_backend}")
        return self

    @field_validator("rules_every_minutes")
    @classmethod
    def _cadence(cls, value: int) -> int:
        if value not in CADENCES:
            raise ValueError(f"must be one of {CADENCES} (minutes that divide the hour)")
        return value

    def decode_settings(self) -> DecodeSettings:
        return DecodeSettings(
            skew_alarm_s=self.skew_alarm_s,
            rollup=self.rollup,
            rollup_grace=timedelta(seconds=60),
            rollup_spread=self.rollup_spread,
            state_refresh=timedelta(seconds=self.state_refresh_s),
            archive=self.archive_items,
        )


VARIABLES = tuple(str(f.validation_alias) for f in Settings.model_fields.values())


def _location(settings: Settings) -> StoreLocation:
    return StoreLocation(
        backend=settings.store_backend,
        sqlite_path=settings.sqlite_path,
        dynamodb_region=settings.dynamodb_region,
        dynamodb_endpoint=settings.dynamodb_endpoint,
        table_prefix=settings.dynamodb_table_prefix,
        retention=RetentionPolicy(minute_days=settings.minute_reading_days),
        reading_buckets=settings.reading_buckets,
    )


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """Parse and validate the environment; a bad value fails the cold start naming the variable."""
    try:
        return Settings.model_validate({variable: env[variable] for variable in VARIABLES if variable in env})
    except ValidationError as exc:
        err = exc.errors()[0]
        variable = err["loc"][0] if err["loc"] else "environment"
        raise InvalidInputError(f"{variable}={err['input']!r} (environment): {err['msg']}") from None


_override: Settings | None = None
_clock_override: Clock | None = None
_dead_letters_override: DeadLetters | None = None
_store_wrapper: Callable[[Store], Store] | None = None


def configure(settings: Settings | None, *, clock: Clock | None = None) -> None:
    """Use `settings` (and `clock`) instead of the environment and the wall clock (tests, local mode);
    None goes back to the environment."""
    global _override, _clock_override, _dead_letters_override, _store_wrapper
    _override, _clock_override, _dead_letters_override, _store_wrapper = settings, clock, None, None
    reset()


def use_dead_letters(dead_letters: DeadLetters | None) -> None:
    """Set decode's poison records aside here (local mode: the frame queue's dead_frames); after `configure`."""
    global _dead_letters_override
    _dead_letters_override = dead_letters
    get_dead_letters.cache_clear()


def use_store_wrapper(wrap: Callable[[Store], Store] | None) -> None:
    """Replace parts of the store once it is opened (local mode: the county host's buffered readings,
    local/reading_buffer.py); after `configure`, before the first `get_store`."""
    global _store_wrapper
    _store_wrapper = wrap
    get_store.cache_clear()


def reset() -> None:
    """Forget the cached settings and adapters (a new 'cold start')."""
    for cached in (
        get_settings,
        get_store,
        get_profiles,
        get_clock,
        get_registry_cache,
        get_frame_gaps,
        get_liveness_notes,
        get_split_cache,
        get_rollup_ledger,
        get_rule_inputs,
        get_rule_config,
        get_rule_state_cache,
        get_people_docs_cache,
        get_dead_letters,
        rule_inputs_for,
        rule_config_for,
        get_shard_queue,
        get_decode_progress,
        get_s3,
        get_rule_snapshots,
        warm_shards_for,
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


def pause(seconds: float) -> None:
    """Wait `seconds` on the wiring's clock: the wall clock sleeps, a test's FixedClock moves on instead."""
    sleep = getattr(get_clock(), "sleep", None)
    (sleep or time.sleep)(seconds)


@lru_cache(maxsize=1)
def get_registry_cache() -> RegistryCache:
    settings = get_settings()
    return RegistryCache(
        get_clock(),
        ttl=timedelta(seconds=settings.registry_cache_s),
        check_every=timedelta(seconds=settings.registry_mark_check_s),
    )


@lru_cache(maxsize=1)
def get_frame_gaps() -> FrameGaps:
    """Each terminal's upload interval as this warm container sees it (when decode must refresh its state)."""
    return FrameGaps()


@lru_cache(maxsize=1)
def get_liveness_notes() -> LivenessNotes | None:
    """The last-frame times this warm process has for the liveness sheets; None when they are off."""
    every = get_settings().terminal_liveness_s
    return LivenessNotes(timedelta(seconds=every)) if every else None


@lru_cache(maxsize=1)
def get_layout_cache() -> hj212.LayoutCache:
    """The frame layouts hj212's fast path has learnt (a warm container's, or local's): bounded by hj212."""
    return hj212.LayoutCache()


@lru_cache(maxsize=1)
def get_split_cache() -> SplitCache:
    """Packets of split uploads awaiting their siblings in a later batch (a warm container's, or local's)."""
    return SplitCache()


@lru_cache(maxsize=1)
def get_rollup_ledger() -> RollupLedger:
    """The hourly roll-ups this warm container has done (each point's scheduled one runs once an hour)."""
    return RollupLedger()


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
        rollups=get_rollup_ledger() if settings.rollup_spread else None,
        gaps=get_frame_gaps(),
        liveness=get_liveness_notes(),
    )


@lru_cache(maxsize=1)
def get_decode_progress() -> DecodeProgress | None:
    """Where decode notes how far each shard is decoded, for the rules (a warm container's throttle); None: off."""
    return DecodeProgress(get_store().rule_state) if get_settings().rules_wait_for_decode else None


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
    store = open_store_at(_location(get_settings()), clock=get_clock())
    return store if _store_wrapper is None else _store_wrapper(store)


@lru_cache(maxsize=1)
def get_s3() -> Any:
    """The S3 client the archive chain function reads delivered objects with."""
    from functions.adapters.archive_objects import s3_client

    return s3_client(get_settings().dynamodb_region or None)


def delivered_archive(bucket: str) -> DeliveredArchive:
    """An evidence export's frames and proof: the S3 archive `bucket` (GetObject only) and the chain's links."""
    from monitoring.evidence.delivered import DeliveredArchive
    from monitoring.storage.archive_s3 import S3ArchiveReader

    return DeliveredArchive(get_store().chain_heads, S3ArchiveReader(get_s3(), bucket))


def photo_blobs(bucket: str) -> PhotoBlobStore:
    """The API's photo bucket, read (an evidence export's photos)."""
    from monitoring.storage.photo_blobs.s3 import open_s3_photo_blobs

    return open_s3_photo_blobs(bucket, get_settings().dynamodb_region)


# ---- rules area (evaluation, escalation) ----------------------------------------------------------------


@lru_cache(maxsize=1)
def get_rule_inputs() -> StoreRuleInputs:
    return rule_inputs_for(get_settings().county_id)


@lru_cache(maxsize=1)
def get_rule_config() -> Any:
    return rule_config_for(get_settings().county_id)


@lru_cache(maxsize=1)
def get_rule_state_cache() -> RuleStateCache:
    """The enterprise documents a warm container's rule ticks read and wrote, kept for its next ticks (each read
    again once every 15 minutes of tick time, whatever the cadence)."""
    return RuleStateCache(refresh=timedelta(minutes=15))


@lru_cache(maxsize=1)
def get_people_docs_cache() -> PeopleDocsCache:
    """The reports and emergency documents a warm container's rule ticks read, kept while their county's mark stands
    (each read again once every 15 minutes of tick time: what a lost change-mark bump leaves stale, whatever the
    cadence)."""
    return PeopleDocsCache(refresh=timedelta(minutes=15))


@lru_cache(maxsize=8)  # a warm worker keeps the few counties it was last sent
def rule_inputs_for(county_id: str) -> StoreRuleInputs:
    """The rule inputs of one county of the registry (AWS: the county a shard message names)."""
    return new_rule_inputs(county_id)


def new_rule_inputs(county_id: str) -> StoreRuleInputs:
    """Rule inputs of one county, not cached here (local mode keeps one per county of its host, however many)."""
    store = get_store()
    reader = None if store.sample_reader is None else store.sample_reader()  # cached across warm ticks
    every = get_settings().rules_every_minutes
    # Re-read per MN every 60 minutes; everything after 15 ticks without one here (a container sees a county's
    # shards at random: at 5-minute ticks a 15-minute gap is common, and the notes it reads instead last a day)
    events = TerminalEventCache(refresh=timedelta(minutes=60), max_gap=timedelta(minutes=15 * every))
    return StoreRuleInputs(store, store.rule_state, county_id, reader=reader, event_cache=events)


@lru_cache(maxsize=1)
def get_rule_snapshots() -> SnapshotBlobs | None:
    """Where the rule shards' window snapshots are kept (S3); None when RULES_SNAPSHOT_BUCKET is unset."""
    bucket = get_settings().rules_snapshot_bucket
    if not bucket:
        return None
    from functions.adapters.archive_objects import S3Objects

    return S3Objects(get_s3(), bucket)


@lru_cache(maxsize=8)
def warm_shards_for(county_id: str) -> WarmShards | None:
    """The county's windows in this container, per shard (None: the store's reader keeps none across ticks)."""
    inputs = rule_inputs_for(county_id)
    cache = getattr(inputs.reader, "cache", None)
    if cache is None:
        return None
    return WarmShards(cache, inputs.backfill_noted, get_rule_snapshots(), get_rule_state_cache())


@lru_cache(maxsize=8)
def rule_config_for(county_id: str) -> Any:
    """Defaults (+ overrides file) + the county's association parameters, validated once per cold start."""
    return rule_config_of(rule_inputs_for(county_id))


def rule_config_of(inputs: StoreRuleInputs) -> Any:
    """Defaults (+ overrides file) + the association parameters of `inputs`' county (not cached here)."""
    import json

    from monitoring.evaluation.config import load_defaults

    settings = get_settings()
    config = load_defaults(Path(settings.rules_defaults) if settings.rules_defaults else None)
    if settings.rules_overrides:
        try:
            raw = json.loads(Path(settings.rules_overrides).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"RULES_OVERRIDES_PATH unreadable: {exc}") from exc
        config = config.with_overrides(raw)
    return inputs.config(config)


@lru_cache(maxsize=1)
def get_shard_queue() -> Any:
    """Where the rules scheduler sends shard messages (SQS); None when RULES_SHARD_QUEUE_URL is unset."""
    url = get_settings().rules_shard_queue_url
    if not url:
        return None
    from functions.adapters.sqs_shards import SqsShardQueue

    return SqsShardQueue(url, region=get_settings().dynamodb_region or None)


def branch_of(enterprise_id: str) -> str | None:
    """The enforcement branch an enterprise belongs to (escalations are dispatched there)."""
    found = get_store().registry.find_enterprise(enterprise_id)
    return None if found is None else found.branch_id
