"""local's settings: each value's source is named when it is bad, and a number must be finite."""

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
    ],
)
def test_load_refuses_a_non_finite_period_naming_its_variable(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load({"data_dir": str(tmp_path / "data")}, env=env)
    assert message in str(info.value)
    assert not (tmp_path / "data").exists()
