"""The API's secrets read at cold start from Secrets Manager or SSM (moto's server on 127.0.0.1, never AWS)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest

from miniprogram_api.chalicelib import wiring
from miniprogram_api.chalicelib.wiring import SecretUnavailableError, settings_from_environment
from tests.support.moto_server import moto_server

pytestmark = pytest.mark.integration
TOKEN_KEY = "k" * 24 + "0123456789abcdef0123456789abcdef"
WECHAT = "wechat-app-secret-from-ssm"


def unique(name: str) -> str:
    """moto keeps one account per process: every test names its own secrets."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def aws(fake_aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local Secrets Manager and SSM; the API's settings read only API_* variables, so none leak in."""
    with moto_server() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        for name in ("API_TOKEN_KEY", "API_WECHAT_SECRET", "API_TOKEN_KEY_SOURCE", "API_WECHAT_SECRET_SOURCE"):
            monkeypatch.delenv(name, raising=False)
        yield url


def test_token_key_from_secrets_manager_and_wechat_secret_from_ssm(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name=unique("gk/token-key"), SecretString=TOKEN_KEY)["ARN"]
    parameter = unique("/gk/wechat-secret")
    boto3.client("ssm").put_parameter(Name=parameter, Value=WECHAT, Type="SecureString")
    monkeypatch.setenv("API_TOKEN_KEY_SOURCE", arn)
    monkeypatch.setenv("API_WECHAT_SECRET_SOURCE", f"ssm:{parameter}")
    monkeypatch.setenv("API_COUNTY_ID", "haian")  # the other settings still come from the environment

    settings = settings_from_environment()

    assert settings.token_key.get_secret_value() == TOKEN_KEY
    assert settings.wechat_secret.get_secret_value() == WECHAT
    assert settings.county_id == "haian"


def test_the_first_request_builds_its_services_from_the_secrets(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Lambda-like environment (memory store: no files), When the services are first used
    name = unique("gk/token-key")
    boto3.client("secretsmanager").create_secret(Name=name, SecretString=TOKEN_KEY)
    monkeypatch.setenv("API_TOKEN_KEY_SOURCE", name)
    monkeypatch.setenv("API_STORE_BACKEND", "memory")
    previous = wiring.install(None)
    try:
        built = wiring.services()
        assert built.settings.token_key.get_secret_value() == TOKEN_KEY
        assert wiring.services() is built  # once per process
    finally:
        wiring.install(previous)


def test_a_missing_secret_stops_the_start_and_names_the_source_not_a_value(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN_KEY_SOURCE", "gk/no-such-secret")
    with pytest.raises(SecretUnavailableError, match="gk/no-such-secret"):
        settings_from_environment()


def test_an_empty_parameter_is_refused(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name, parameter = unique("gk/token-key"), unique("/gk/empty")
    boto3.client("secretsmanager").create_secret(Name=name, SecretString=TOKEN_KEY)
    boto3.client("ssm").put_parameter(Name=parameter, Value=" ", Type="SecureString")
    monkeypatch.setenv("API_TOKEN_KEY_SOURCE", name)
    monkeypatch.setenv("API_WECHAT_SECRET_SOURCE", f"ssm:{parameter}")
    with pytest.raises(SecretUnavailableError, match="empty"):
        settings_from_environment()


def test_a_short_token_key_in_the_secret_is_refused_like_one_in_the_environment(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique("gk/short")
    boto3.client("secretsmanager").create_secret(Name=name, SecretString="too-short")
    monkeypatch.setenv("API_TOKEN_KEY_SOURCE", name)
    with pytest.raises(ValueError, match="32 bytes"):
        settings_from_environment()


def test_all_three_from_ssm_as_a_county_stage_keeps_them(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the SecureStrings a secrets_store=ssm stage reads (a missing one named in the error, no value shown)
    base = unique("/gongkuang/county")
    monkeypatch.setenv("API_TOKEN_KEY_SOURCE", f"ssm:{base}/api-token-key")
    monkeypatch.setenv("API_WECHAT_SECRET_SOURCE", f"ssm:{base}/wechat-secret")
    with pytest.raises(SecretUnavailableError, match=f"{base}/api-token-key"):
        settings_from_environment()
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=f"{base}/api-token-key", Value=TOKEN_KEY, Type="SecureString")
    ssm.put_parameter(Name=f"{base}/wechat-secret", Value=WECHAT, Type="SecureString")
    ssm.put_parameter(Name=f"{base}/notify-channels", Value='{"wecom": {"robots": {"b": "k"}}}', Type="SecureString")
    settings = settings_from_environment()
    assert (settings.token_key.get_secret_value(), settings.wechat_secret.get_secret_value()) == (TOKEN_KEY, WECHAT)
    # the notify providers' settings (SMS login codes) come through the same reader
    assert wiring.read_secret(f"ssm:{base}/notify-channels") == '{"wecom": {"robots": {"b": "k"}}}'
