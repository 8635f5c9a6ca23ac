"""The county host's settings: hostile values are refused naming the setting; the wiring gets AWS's values."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.config import ConfigError, load
from local.workers import AWS_DECODE, wiring_settings

HOST = {"LOCAL_STORE": "dynamodb", "LOCAL_API": "false"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**HOST, "LOCAL_ARCHIVE_BUCKET": "Bad_Bucket"}, "archive_bucket: not an S3 bucket name"),
        ({**HOST, "LOCAL_ARCHIVE_BUCKET": "a..b"}, "archive_bucket: not an S3 bucket name"),
        ({**HOST, "LOCAL_DYNAMODB_ENDPOINT": "localhost:8000"}, "dynamodb_endpoint: not an http(s) URL"),
        ({**HOST, "LOCAL_DYNAMODB_ENDPOINT": "ftp://x"}, "dynamodb_endpoint: not an http(s) URL"),
        ({**HOST, "LOCAL_DYNAMODB_TABLE_PREFIX": ""}, "dynamodb_table_prefix: 1-200 letters"),
        ({**HOST, "LOCAL_DYNAMODB_TABLE_PREFIX": "a b"}, "dynamodb_table_prefix: 1-200 letters"),
        ({**HOST, "LOCAL_DYNAMODB_REGION": "mars"}, "dynamodb_region: not a region name"),
        ({"LOCAL_STORE": "dynamodb"}, "api: the HTTP API serves the sqlite store only"),
        ({**HOST, "LOCAL_EVALUATE_EVERY_S": "240"}, "evaluate_every_s: with store=dynamodb one of [60, 120, 180, 300"),
        ({**HOST, "LOCAL_EVALUATE_EVERY_S": "90"}, "evaluate_every_s: with store=dynamodb"),
        ({"LOCAL_STORE": "postgres"}, "store"),
        ({"LOCAL_DYNAMODB_ENDPOINT": "http://127.0.0.1:8000"}, "dynamodb_endpoint: set, but store is sqlite"),
        ({**HOST, "LOCAL_ARCHIVE_EVERY_S": "0"}, "archive_every_s: must be above 0"),
        ({**HOST, "LOCAL_NOTIFY": "maybe"}, "notify"),
        ({**HOST, "LOCAL_QUEUE_RESERVE_MB": "-1"}, "queue_reserve_mb: must be at least 0"),
        ({**HOST, "LOCAL_QUEUE_RESERVE_MB": "lots"}, "queue_reserve_mb from environment variable LOCAL_QUEUE_RES"),
        ({**HOST, "LOCAL_QUEUE_RESERVE_MB": "2000000"}, "queue_reserve_mb: must be at most 1048576"),
        ({**HOST, "LOCAL_LOG_EVERY_S": "61"}, "log_every_s: at most 60 with store=dynamodb"),
        ({**HOST, "LOCAL_READING_BUCKET_MINUTES": "7"}, "reading_bucket_minutes: one of (0, 5, 10, 15, 30, 60)"),
        ({**HOST, "LOCAL_READING_BUCKET_MINUTES": "-5"}, "reading_bucket_minutes: one of"),
        ({**HOST, "LOCAL_READING_BUCKET_MINUTES": "five"}, "reading_bucket_minutes from environment variable"),
        ({"LOCAL_READING_BUCKET_MINUTES": "5"}, "reading_bucket_minutes: buckets are DynamoDB items; set store=dynamo"),
        ({**HOST, "LOCAL_READING_FLUSH_PER_S": "0"}, "reading_flush_per_s: must be above 0"),
        ({**HOST, "LOCAL_READING_FLUSH_PER_S": "fast"}, "reading_flush_per_s from environment variable"),
    ],
)
def test_a_hostile_setting_is_refused_naming_it(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load({"data_dir": str(tmp_path / "data")}, env=env)
    assert message in str(info.value)


def test_the_queue_reserve_defaults_to_256_mb_and_reads_its_variable(tmp_path: Path) -> None:
    settings, _ = load({"data_dir": str(tmp_path)}, env=HOST)
    assert settings.queue_reserve_mb == 256
    settings, _ = load({"data_dir": str(tmp_path)}, env={**HOST, "LOCAL_QUEUE_RESERVE_MB": "0"})
    assert settings.queue_reserve_mb == 0  # off
    settings, _ = load({"data_dir": str(tmp_path), "log_every_s": "300"}, env={})  # sqlite: no alarm counts it
    assert settings.log_every_s == 300


def test_reading_buckets_are_off_by_default_and_on_with_their_variable(tmp_path: Path) -> None:
    settings, _ = load({"data_dir": str(tmp_path)}, env=HOST)
    assert settings.reading_bucket_minutes == 0
    settings, _ = load({"data_dir": str(tmp_path)}, env={**HOST, "LOCAL_READING_BUCKET_MINUTES": "5"})
    assert settings.reading_bucket_minutes == 5
    assert settings.reading_flush_per_s == 20.0  # the flusher's pace (merges a wall second)
    # the host's own readers read the buckets it writes (the wiring's READING_BUCKETS), whatever the stage sets
    assert wiring_settings(settings, env={}).reading_buckets
    off, _ = load({"data_dir": str(tmp_path)}, env=HOST)
    assert not wiring_settings(off, env={}).reading_buckets
    stage = {"STORE_BACKEND": "dynamodb", "READING_BUCKETS": "true"}
    assert wiring_settings(off, env=stage).reading_buckets  # buckets written before


def test_the_county_host_gets_the_aws_stages_decode_values_and_their_rule_cadence(tmp_path: Path) -> None:
    env = {**HOST, "LOCAL_EVALUATE_EVERY_S": "300", "LOCAL_ARCHIVE_BUCKET": "county-archive"}
    settings, _ = load({"data_dir": str(tmp_path)}, env=env)
    wiring = wiring_settings(settings, env={})
    assert wiring.store_backend == "dynamodb" and wiring.dynamodb_table_prefix == "gongkuang"
    assert wiring.rules_every_minutes == 5 and not wiring.archive_items
    assert {name: getattr(wiring, name) for name in AWS_DECODE} == AWS_DECODE


def test_the_aws_decode_values_are_the_stage_defaults() -> None:
    # AWS_DECODE copies infra's stage settings (local does not import the CDK app at run time)
    from infra.settings import StageSettings

    stage = StageSettings.model_fields
    assert AWS_DECODE == {
        "state_refresh_s": float(stage["terminal_state_refresh"].default),
        "registry_cache_s": float(stage["registry_cache"].default),
        "registry_mark_check_s": float(stage["registry_mark_check"].default),
        "minute_reading_days": stage["minute_reading_days"].default,
        "rollup_spread": stage["decode_rollup_spread"].default,
    }


def test_sqlite_keeps_local_values_and_archive_items(tmp_path: Path) -> None:
    settings, _ = load({"data_dir": str(tmp_path)}, env={})
    wiring = wiring_settings(settings)
    assert wiring.store_backend == "sqlite" and wiring.archive_items and wiring.state_refresh_s == 60.0
    assert wiring.rules_every_minutes == 1


def test_the_stages_variables_reach_the_host_as_they_reach_the_lambdas(tmp_path: Path) -> None:
    env = {**HOST, "LOCAL_EVALUATE_EVERY_S": "300"}
    settings, _ = load({"data_dir": str(tmp_path)}, env=env)
    stage = {"MINUTE_READING_DAYS": "400", "CLOCK_SKEW_ALARM_S": "60", "DECODE_ROLLUP": "false",
             "TERMINAL_STATE_REFRESH_S": "0", "RULES_EVERY_MINUTES": "1", "STORE_BACKEND": "sqlite"}  # fmt: skip
    wiring = wiring_settings(settings, env=stage)
    assert (wiring.minute_reading_days, wiring.skew_alarm_s, wiring.rollup, wiring.state_refresh_s) == (
        400,
        60.0,
        False,
        0.0,
    )
    # what the local settings decide wins: the store, the cadence (the scheduler's), the archive
    assert wiring.store_backend == "dynamodb" and wiring.rules_every_minutes == 5 and wiring.archive_items
    # a bad value is refused naming the variable, as a Lambda's cold start would
    with pytest.raises(Exception, match="MINUTE_READING_DAYS"):
        wiring_settings(settings, env={"MINUTE_READING_DAYS": "0"})


def test_the_county_hosts_decode_keeps_liveness_sheets_and_the_lambdas_and_sqlite_do_not(tmp_path: Path) -> None:
    from functions._wiring import Settings
    from local.workers import HOST_LIVENESS_S

    host, _ = load({"data_dir": str(tmp_path)}, env={**HOST, "LOCAL_EVALUATE_EVERY_S": "300"})
    assert wiring_settings(host, env={}).terminal_liveness_s == HOST_LIVENESS_S == 300.0
    assert wiring_settings(host, env={"TERMINAL_LIVENESS_S": "0"}).terminal_liveness_s == 0.0  # switched off
    plain, _ = load({"data_dir": str(tmp_path / "plain")}, env={})
    assert wiring_settings(plain).terminal_liveness_s == 0.0
    assert Settings().terminal_liveness_s == 0.0  # a Lambda: its pending times would die with the container


def test_liveness_sheets_need_the_dynamodb_store() -> None:
    from pydantic import ValidationError

    from functions._wiring import Settings

    with pytest.raises(ValidationError, match="TERMINAL_LIVENESS_S needs STORE_BACKEND=dynamodb"):
        Settings(store_backend="sqlite", terminal_liveness_s=300.0)
