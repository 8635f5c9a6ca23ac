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
    ],
)
def test_settings_from_env_names_the_variable_and_its_value(env: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        settings_from_env(env)
    assert message in str(info.value)
