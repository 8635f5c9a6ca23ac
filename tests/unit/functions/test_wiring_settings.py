"""The handlers' settings: a bad environment variable fails the cold start naming the variable and its value."""

from __future__ import annotations

import pytest

from functions._wiring import settings_from_env
from monitoring.errors import InvalidInputError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLOCK_SKEW_ALARM_S": "abc"}, "CLOCK_SKEW_ALARM_S='abc' (environment)"),
        ({"REGISTRY_CACHE_S": "-1"}, "REGISTRY_CACHE_S='-1' (environment)"),
        ({"DECODE_ROLLUP": "maybe"}, "DECODE_ROLLUP='maybe' (environment)"),
        ({"STORE_BACKEND": "postgres"}, "STORE_BACKEND='postgres' (environment)"),
        # the rules tick on the same minutes every hour: a cadence must divide it (and fit a tick in 15 minutes)
        ({"RULES_EVERY_MINUTES": "7"}, "RULES_EVERY_MINUTES='7' (environment): Value error, must be one of"),
        ({"RULES_EVERY_MINUTES": "60"}, "RULES_EVERY_MINUTES='60' (environment)"),
        ({"RULES_EVERY_MINUTES": "five"}, "RULES_EVERY_MINUTES='five' (environment)"),
    ],
)
def test_settings_from_env_names_the_variable_and_its_value(env: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        settings_from_env(env)
    assert message in str(info.value)


def test_archive_items_and_minute_retention_reach_decode_and_the_store() -> None:
    from functions import _wiring

    settings = settings_from_env(
        {"STORE_BACKEND": "memory", "DECODE_ARCHIVE_ITEMS": "false", "MINUTE_READING_DAYS": "35"}
    )
    _wiring.configure(settings)
    try:
        assert settings.decode_settings().archive is False
        assert _wiring.get_store().retention.minute_days == 35
        assert _wiring.new_decoder().settings.archive is False
    finally:
        _wiring.configure(None)
    defaults = settings_from_env({})
    assert defaults.decode_settings().archive is True and defaults.minute_reading_days == 400  # local mode
    with pytest.raises(InvalidInputError, match="MINUTE_READING_DAYS='0'"):
        settings_from_env({"MINUTE_READING_DAYS": "0"})


def test_rollup_spread_reaches_decode_with_one_ledger_per_warm_container() -> None:
    from functions import _wiring

    _wiring.configure(settings_from_env({"STORE_BACKEND": "memory", "DECODE_ROLLUP_SPREAD": "true"}))
    try:
        first, second = _wiring.new_decoder(), _wiring.new_decoder()
        assert first.settings.rollup_spread is True
        assert first.rollups is not None and first.rollups is second.rollups  # shared by the batches
    finally:
        _wiring.configure(None)
    _wiring.configure(settings_from_env({"STORE_BACKEND": "memory"}))
    try:  # local mode: the hour boundary, no ledger
        assert _wiring.new_decoder().settings.rollup_spread is False and _wiring.new_decoder().rollups is None
    finally:
        _wiring.configure(None)
    with pytest.raises(InvalidInputError, match="DECODE_ROLLUP_SPREAD='often'"):
        settings_from_env({"DECODE_ROLLUP_SPREAD": "often"})


def test_the_rule_cadence_defaults_to_every_minute_and_reads_the_stages_five() -> None:
    assert settings_from_env({}).rules_every_minutes == 1  # local mode
    assert settings_from_env({"RULES_EVERY_MINUTES": "5"}).rules_every_minutes == 5


def test_reading_buckets_reach_the_dynamodb_store_and_need_it() -> None:
    from functions import _wiring
    from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository
    from monitoring.storage.opener import open_store_at

    assert settings_from_env({}).reading_buckets is False  # local mode and the serverless stages
    env = {"STORE_BACKEND": "dynamodb", "DYNAMODB_ENDPOINT": "http://127.0.0.1:9", "AWS_REGION": "cn-north-1"}
    for value, expected in (("true", True), ("false", False)):
        settings = settings_from_env({**env, "READING_BUCKETS": value})
        store = open_store_at(_wiring._location(settings))  # no request is made: nothing listens there
        try:
            assert isinstance(store.readings, DynamoDBReadingsRepository)
            assert store.readings.reading_buckets is expected
        finally:
            store.close()
    with pytest.raises(InvalidInputError, match="READING_BUCKETS needs STORE_BACKEND=dynamodb, not sqlite"):
        settings_from_env({"READING_BUCKETS": "true"})
    with pytest.raises(InvalidInputError, match="READING_BUCKETS='often'"):
        settings_from_env({**env, "READING_BUCKETS": "often"})
