"""Settings: defaults, precedence (file < env < options), validation with clear messages, --help coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from iot_ingest.__main__ import build_parser
from iot_ingest.config import FIELDS, ConfigError, load_settings

pytestmark = pytest.mark.unit


def test_load_settings_with_nothing_given_returns_defaults() -> None:
    # Given no sources / When loading / Then every default applies
    s = load_settings(cli={}, env={})
    assert s.port == 9000 and s.sink.startswith("jsonl:") and s.command_re_count == 3
    assert s.idle_timeout == s.expected_interval * s.idle_intervals


def test_load_settings_precedence_option_over_env_over_file(tmp_path: Path) -> None:
    # Given the same setting in a file, the environment and an option
    cfg = tmp_path / "ingest.toml"
    cfg.write_text("[iot_ingest]\nport = 1111\nmax_connections = 7\nclock_correction = false\n", encoding="utf-8")
    env = {"IOT_INGEST_PORT": "2222", "IOT_INGEST_MAX_CONNECTIONS": "8"}
    # When loading
    s = load_settings(cli={"port": "3333"}, env=env, config_file=cfg)
    # Then the option wins over the environment, the environment over the file
    assert (s.port, s.max_connections, s.clock_correction) == (3333, 8, False)


def test_load_settings_config_file_from_env_variable(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('sink = "kinesis:frames"\n', encoding="utf-8")
    assert load_settings(cli={}, env={"IOT_INGEST_CONFIG": str(cfg)}).sink_kind() == ("kinesis", "frames")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"IOT_INGEST_PORT": "abc"}, "port from environment variable IOT_INGEST_PORT: expected int"),
        ({"IOT_INGEST_PORT": "70000"}, "port: out of range"),
        ({"IOT_INGEST_MAX_CONNECTIONS": "0"}, "max_connections: must be at least 1"),
        ({"IOT_INGEST_SINK": "s3:bucket"}, "sink: expected jsonl:PATH or kinesis:STREAM"),
        ({"IOT_INGEST_SINK": "jsonl:"}, "sink: expected"),
        ({"IOT_INGEST_USE_UVLOOP": "maybe"}, "use_uvloop from environment variable"),
        ({"IOT_INGEST_LOG_LEVEL": "LOUD"}, "log_level: expected one of"),
        ({"IOT_INGEST_STORE_BACKEND": "sqlite"}, "store_backend: expected '' or 'dynamodb'"),
        ({"IOT_INGEST_DIRECTORY_LOOKUP_RATE": "0"}, "directory_lookup_rate: must be at least 0.01"),
        ({"IOT_INGEST_STREAM_GROUPS": "0"}, "stream_groups: must be at least 1"),
        ({"IOT_INGEST_STREAM_GROUPS": "100001"}, "stream_groups: "),
    ],
)
def test_load_settings_with_bad_value_raises_config_error_naming_it(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(cli={}, env=env)


def test_aws_mode_settings_from_the_task_environment() -> None:
    env = {"IOT_INGEST_STORE_BACKEND": "dynamodb", "IOT_INGEST_DYNAMODB_TABLE_PREFIX": "gk-prod",
           "IOT_INGEST_COUNTIES": " rugao, haian ,", "IOT_INGEST_DYNAMODB_REGION": "cn-north-1"}  # fmt: skip
    s = load_settings(cli={}, env=env)
    assert (s.store_backend, s.dynamodb_table_prefix, s.county_ids) == ("dynamodb", "gk-prod", ("rugao", "haian"))
    assert load_settings(cli={}, env={"IOT_INGEST_STREAM_GROUPS": "16128"}).stream_groups == 16_128


def test_read_config_file_with_unknown_key_raises(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown settings prot"):
        load_settings(cli={}, env={}, config_file=cfg)


def test_read_config_file_malformed_or_missing_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("port = = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_settings(cli={}, env={}, config_file=bad)
    with pytest.raises(ConfigError, match="missing.toml"):
        load_settings(cli={}, env={}, config_file=tmp_path / "missing.toml")


def test_serve_help_documents_every_setting_and_its_env_variable() -> None:
    # Given the parser / When rendering `serve --help` / Then each setting has an option and its env name
    parser = build_parser()
    serve = parser._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    text = serve.format_help()
    for name in FIELDS:
        assert "--" + name.replace("_", "-") in text
        assert "IOT_INGEST_" + name.upper() in text


def test_main_with_bad_option_exits_2_with_message(capsys: pytest.CaptureFixture[str]) -> None:
    from iot_ingest.__main__ import main

    assert main(["serve", "--port", "x"]) == 2
    assert "port from option --port: expected int" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"IOT_INGEST_MAX_CONNECTIONS": "0"}, "(from environment variable IOT_INGEST_MAX_CONNECTIONS)"),
        ({"IOT_INGEST_SINK": "s3:bucket"}, "(from environment variable IOT_INGEST_SINK)"),
        ({"IOT_INGEST_BATCH_LINGER": "nan"}, "batch_linger from environment variable IOT_INGEST_BATCH_LINGER"),
        ({"IOT_INGEST_SINK_TIMEOUT": "inf"}, "sink_timeout from environment variable IOT_INGEST_SINK_TIMEOUT"),
    ],
)
def test_load_settings_names_the_source_of_an_out_of_range_or_non_finite_value(
    env: dict[str, str], message: str
) -> None:
    # Given a value of the right type but outside its range (or not a finite number) / Then its source is named
    with pytest.raises(ConfigError) as info:
        load_settings(cli={}, env=env)
    assert message in str(info.value)


def test_load_settings_names_the_config_file_of_an_out_of_range_value(tmp_path: Path) -> None:
    cfg = tmp_path / "ingest.toml"
    cfg.write_text("[iot_ingest]\nmax_buffer = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(cli={}, env={}, config_file=cfg)
    assert "max_buffer: must be at least 1024" in str(info.value) and f"config file {cfg}" in str(info.value)


def test_main_with_a_bad_environment_variable_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from iot_ingest.__main__ import main

    monkeypatch.setenv("IOT_INGEST_MAX_UNACKED", "0")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "max_unacked: must be at least 1" in err and "environment variable IOT_INGEST_MAX_UNACKED" in err
