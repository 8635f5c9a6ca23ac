"""`python -m infra.secret_parameters <stage>` puts the stage's three SecureStrings before the first deploy (moto's
SSM): values the readers accept, never overwritten, never printed; a Secrets Manager stage is refused."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from infra.app import file_context
from infra.secret_parameters import main, parameter_names
from infra.settings import load_stages
from miniprogram_api.chalicelib.settings import ApiSettings
from monitoring.notify.channels.settings import ChannelSettings

pytestmark = pytest.mark.infra
REGION = "cn-northwest-1"


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def _values(names: tuple[str, ...]) -> dict[str, str]:
    client = boto3.client("ssm", region_name=REGION)
    found = {}
    for name in names:
        parameter = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert parameter["Type"] == "SecureString"
        found[name] = parameter["Value"]
    return found


def test_the_county_stage_gets_its_three_parameters_once(ssm: None, capsys: pytest.CaptureFixture[str]) -> None:
    county = {s.name: s for s in load_stages(file_context())}["county"]
    names = parameter_names(county)
    assert names.all() == (
        "/gongkuang/county/api-token-key",
        "/gongkuang/county/wechat-secret",
        "/gongkuang/county/notify-channels",
    )
    assert main(["county", "--region", REGION]) == 0
    first = _values(names.all())
    # what the readers make of them: a token key the API accepts (≥ 32 bytes), channels JSON with no provider yet
    token = first[names.token_key]
    assert len(token) == 64 and ApiSettings.model_validate({"token_key": token}).token_key.get_secret_value() == token
    assert ChannelSettings.model_validate_json(first[names.notify_channels]) == ChannelSettings()
    printed = capsys.readouterr().out
    assert printed.count("created") == 3 and token not in printed

    # the operator stores the real WeChat secret; running the helper again changes nothing
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=names.wechat_secret, Value="the-real-app-secret", Type="SecureString", Overwrite=True
    )
    assert main(["county", "--region", REGION]) == 0
    assert _values(names.all()) == {**first, names.wechat_secret: "the-real-app-secret"}
    assert capsys.readouterr().out.count("kept") == 3


def test_a_stage_whose_secrets_the_stack_creates_is_refused(ssm: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prod", "--region", REGION]) == 2
    assert "Secrets Manager" in capsys.readouterr().err
    assert boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"] == []
    assert main(["nowhere"]) == 2


def test_token_keys_differ_between_runs() -> None:
    from infra.secret_parameters import first_values

    county = {s.name: s for s in load_stages(file_context())}["county"]
    names = parameter_names(county)
    assert first_values(names)[names.token_key] != first_values(names)[names.token_key]
