"""local's settings: a bad value is named with its source (for a range as for a type); numbers are finite."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.config import ConfigError, load

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOCAL_LOG_EVERY_S": "nan"}, "log_every_s from environment variable LOCAL_LOG_EVERY_S: expected float"),
        ({"LOCAL_STATUS_EVERY_S": "inf"}, "status_every_s from environment variable LOCAL_STATUS_EVERY_S"),
        ({"LOCAL_DECODE_WORKERS": "17"}, "decode_workers: must be at most 16, got '17' (from environment variable"),
        ({"LOCAL_BATCH_SIZE": "0"}, "batch_size: must be at least 1, got '0' (from environment variable"),
        (
            {"LOCAL_STORE": "dynamodb", "LOCAL_API": "false", "LOCAL_DECODE_WORKERS": "3"},
            "decode_workers: 1, 2, 4, 8 or 16 on DynamoDB (the liveness sheets), got 3",
        ),
        ({"LOCAL_STOPPED_AFTER_S": "0"}, "stopped_after_s: must be above 0.0, got '0' (from environment variable"),
        ({"LOCAL_STOPPED_AFTER_S": "3601"}, "stopped_after_s: must be at most 3600.0, got '3601' (from environment"),
    ],
)
def test_load_refuses_a_non_finite_or_out_of_range_value_naming_its_variable(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load({"data_dir": str(tmp_path / "data")}, env=env)
    assert message in str(info.value)
    assert not (tmp_path / "data").exists()


def test_load_names_the_option_of_an_out_of_range_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load({"data_dir": str(tmp_path / "data"), "accel": "0"}, env={})
    assert "accel: must be above 0" in str(info.value) and "(from option --accel)" in str(info.value)
