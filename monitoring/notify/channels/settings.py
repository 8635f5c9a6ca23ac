"""Settings of the provider clients: endpoints (each configurable, so tests and the demo point them at loopback
stubs), template ids per logical template, timeouts, and the secrets as SecretStr (never shown in a repr or a log).
Read from a mapping: the local runner's TOML / environment, or the JSON of a Secrets Manager secret in AWS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class AliyunSmsSettings(_Section):
    access_key_id: str
    access_key_secret: SecretStr
    sign_name: str = Field(min_length=2, max_length=12)
    templates: dict[str, str]  # logical template name → Aliyun template code ("SMS_123456789")
    endpoint: str = "dysmsapi.aliyuncs.com"  # host[:port], no scheme
    protocol: str = Field("https", pattern="^https?$")
    connect_timeout_s: float = Field(3.0, gt=0, le=30)
    read_timeout_s: float = Field(5.0, gt=0, le=60)


class TencentTemplate(_Section):
    id: str  # the template id ("1234567")
    params: tuple[str, ...]  # variable names in the template's {1} {2} ... order


class TencentSmsSettings(_Section):
    secret_id: str
    secret_key: SecretStr
    sdk_app_id: str  # SmsSdkAppId ("1400...")
    sign_name: str
    templates: dict[str, TencentTemplate]
    region: str = "ap-guangzhou"
    endpoint: str = "sms.tencentcloudapi.com"  # host[:port], no scheme
    protocol: str = Field("https", pattern="^https?$")
    timeout_s: int = Field(5, ge=1, le=60)


class WechatSettings(_Section):
    app_id: str
    app_secret: SecretStr
    # logical template name → subscribe-message template id; in AWS it comes from NOTIFY_WECHAT_TEMPLATES instead
    templates: dict[str, str] = Field(default_factory=dict)
    base_url: str = "https://api.weixin.qq.com"
    miniprogram_state: str = Field("formal", pattern="^(developer|trial|formal)$")
    refresh_margin_s: float = Field(300.0, ge=0, le=3600)  # refresh the access token this long before it expires
    timeout_s: float = Field(5.0, gt=0, le=60)


class WecomSettings(_Section):
    robots: dict[str, SecretStr]  # robot name (as in the routing table, "wecom:<name>") → webhook key
    base_url: str = "https://qyapi.weixin.qq.com"
    timeout_s: float = Field(5.0, gt=0, le=60)


class ChannelSettings(_Section):
    """Every provider is optional: a kind without settings has no channel (the sender retries, then fails it)."""

    aliyun_sms: AliyunSmsSettings | None = None
    tencent_sms: TencentSmsSettings | None = None
    wechat: WechatSettings | None = None
    wecom: WecomSettings | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ChannelSettings:
        """Validated settings; a pydantic ValidationError names the bad field (its value, if secret, is not shown)."""
        return cls.model_validate(dict(data))
