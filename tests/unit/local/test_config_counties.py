"""The runner's counties (a host of a province's tier) and host id: validated naming the setting; defaults keep the
single-county runner as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.config import ConfigError, archive_shard, county_ids, load

HOST = {"LOCAL_STORE": "dynamodb", "LOCAL_API": "false"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOCAL_COUNTIES": "rugao,,haian"}, "counties: an empty entry"),
        ({"LOCAL_COUNTIES": "rugao,"}, "counties: an empty entry"),
        ({"LOCAL_COUNTIES": "rugao, haian,rugao"}, "counties: listed twice: rugao"),
        ({"LOCAL_COUNTIES": "rugao,hai an"}, "counties: not a registry county id: 'hai an'"),
        ({"LOCAL_COUNTIES": "-rugao"}, "counties: not a registry county id"),
        ({"LOCAL_COUNTIES": "x" * 129}, "counties: not a registry county id"),
        ({"LOCAL_COUNTY_ID": "如皋"}, "county_id: not a registry county id"),
        ({"LOCAL_HOST_ID": "host/1"}, "host_id: 1-64 letters"),
        ({"LOCAL_HOST_ID": "h" * 65}, "host_id: 1-64 letters"),
    ],
)
def test_a_hostile_counties_or_host_id_is_refused_naming_it(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load({"data_dir": str(tmp_path)}, env={**HOST, **env})
    assert message in str(info.value)


def test_without_counties_the_runner_serves_county_id_alone_under_its_old_names(tmp_path: Path) -> None:
    settings, _ = load({"data_dir": str(tmp_path)}, env={})
    assert county_ids(settings) == ("rugao",) and archive_shard(settings) == "local"
    settings, _ = load({"data_dir": str(tmp_path)}, env={"LOCAL_COUNTY_ID": "haian"})
    assert county_ids(settings) == ("haian",) and archive_shard(settings) == "local"


def test_counties_from_the_environment_file_or_option_in_their_order(tmp_path: Path) -> None:
    settings, _ = load({"data_dir": str(tmp_path)}, env={**HOST, "LOCAL_COUNTIES": " haian , rugao,rudong:1 "})
    assert county_ids(settings) == ("haian", "rugao", "rudong:1")
    assert settings.county_id == "rugao"  # the API's home county stays what it was
    # a host left at host_id "local" names its archive keys after its first county (counties do not overlap)
    assert archive_shard(settings) == "host-haian"
    config = tmp_path / "host.toml"
    config.write_text('[local]\ncounties = "rudong:1,haian"\nhost_id = "i-0abc123"\n', encoding="utf-8")
    settings, _ = load({"data_dir": str(tmp_path)}, env=HOST, config_file=str(config))
    assert county_ids(settings) == ("rudong:1", "haian") and archive_shard(settings) == "i-0abc123"
    settings, _ = load({"data_dir": str(tmp_path), "counties": "rudong:1"}, env=HOST)
    assert archive_shard(settings) == "host-rudong-1"  # ':' is not a key character
