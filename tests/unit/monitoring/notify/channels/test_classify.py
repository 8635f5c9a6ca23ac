"""The provider codes' meaning for the sender, the settings' secrets, and the small text helpers (no I/O)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from monitoring.notify.channels import aliyun_sms, tencent_sms
from monitoring.notify.channels.outcomes import is_timeout
from monitoring.notify.channels.settings import ChannelSettings
from monitoring.notify.channels.wecom_robot import clip
from monitoring.notify.channels.wiring import settings_from_env
from monitoring.notify.ports import SendStatus

pytestmark = pytest.mark.unit
R, P, X = SendStatus.RETRYABLE, SendStatus.PERMANENT, SendStatus.PROVIDER_REJECTED


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", R),
        ("Throttling.User", R),
        ("isp.SYSTEM_ERROR", R),
        ("isv.MOBILE_NUMBER_ILLEGAL", P),
        ("isv.SMS_TEMPLATE_ILLEGAL", X),
        ("isv.TEMPLATE_MISSING_PARAMETERS", X),
        ("isv.AMOUNT_NOT_ENOUGH", X),
        ("SignatureDoesNotMatch", X),
        ("InvalidAccessKeyId.NotFound", X),
        ("isv.SOMETHING_NEW", X),
    ],
)
def test_aliyun_codes(code: str, status: SendStatus) -> None:
    assert aliyun_sms.classify(code).status is status


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("LimitExceeded.PhoneNumberDailyLimit", R),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", R),
        ("RequestLimitExceeded", R),
        ("InternalError.Timeout", R),
        ("InvalidParameterValue.IncorrectPhoneNumber", P),
        ("FailedOperation.TemplateIncorrectOrUnapproved", X),
        ("FailedOperation.InsufficientBalanceInSmsPackage", X),
        ("AuthFailure.SignatureFailure", X),
    ],
)
def test_tencent_codes(code: str, status: SendStatus) -> None:
    assert tencent_sms.classify(code).status is status


def test_phone_numbers_in_provider_messages_are_masked() -> None:
    assert aliyun_sms.classify("isv.MOBILE_NUMBER_ILLEGAL", "号码13812341234非法").detail == "号码138****1234非法"


def test_e164_and_clip() -> None:
    assert tencent_sms.e164("13812341234") == "+8613812341234"
    assert tencent_sms.e164("+85291234567") == "+85291234567"
    assert clip("短信") == "短信" and len(clip("字" * 2000).encode()) <= 4096


def test_timeouts_are_found_however_wrapped() -> None:
    try:
        try:
            raise TimeoutError("timed out")
        except TimeoutError as inner:
            raise RuntimeError("request failed") from inner
    except RuntimeError as outer:
        assert is_timeout(outer)
    assert not is_timeout(ConnectionRefusedError("refused"))


def test_secrets_stay_hidden_and_bad_settings_name_their_field() -> None:
    settings = ChannelSettings.from_mapping(
        {
            "wecom": {"robots": {"bureau": "the-robot-key"}},
            "wechat": {"app_id": "wx1", "app_secret": "s3cret", "templates": {}},
        }
    )
    assert "the-robot-key" not in repr(settings) and "s3cret" not in repr(settings)
    assert "s3cret" not in settings.model_dump_json()
    with pytest.raises(ValidationError, match="protocol"):
        ChannelSettings.from_mapping(
            {
                "wechat": None,
                "aliyun_sms": {
                    "access_key_id": "a",
                    "access_key_secret": "b",
                    "sign_name": "如皋市生态环境局",
                    "templates": {},
                    "protocol": "ftp",
                },
            }
        )
    with pytest.raises(ValidationError, match="extra"):
        ChannelSettings.from_mapping({"wecom": {"robots": {}, "webhook": "x"}})


def test_settings_from_the_environment() -> None:
    assert settings_from_env({}) is None
    found = settings_from_env({"NOTIFY_CHANNELS_JSON": '{"wecom": {"robots": {"b": "k"}}}'})
    assert found is not None and found.wecom is not None and list(found.wecom.robots) == ["b"]
    with pytest.raises(ValueError, match="cannot read secrets"):
        settings_from_env({"NOTIFY_CHANNELS_SECRET": "arn:aws:secretsmanager:x"})
    read = settings_from_env({"NOTIFY_CHANNELS_SECRET": "id"}, read_secret=lambda _: '{"wechat": null}')
    assert read == ChannelSettings()
