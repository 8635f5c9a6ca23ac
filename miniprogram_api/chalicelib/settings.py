"""The API's settings (pydantic-settings, environment `API_<NAME>`): store, token key, WeChat, limits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "API_"


class ApiSettings(BaseSettings):
    """Every knob of the API; Lambda reads them from its environment (secrets from Secrets Manager/SSM there),
    `python -m local run` builds them from its own settings and the data directory."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )

    store_backend: Literal["sqlite", "memory", "dynamodb"] = "sqlite"
    sqlite_path: str = "var/gongkuang.db"
    # How long minute readings are kept (the store's retention; AWS keeps 35 days in DynamoDB): a chart reaching
    # further back is answered from hourly buckets instead of showing gaps.
    minute_reading_days: int = Field(default=400, ge=1, le=36_500)
    dynamodb_region: str = ""
    dynamodb_endpoint: str = ""
    dynamodb_table_prefix: str = "gongkuang"
    # Also read the county host's reading buckets (DynamoDB only; the county-host stage): charts and latest values
    # then lag the host by up to a bucket and its flush (docs/dynamodb.md, "Reading buckets")
    reading_buckets: bool = False
    county_id: str = Field(default="rugao", min_length=1, max_length=64)
    # HS256 key for access tokens: at least 32 bytes of secret (local mode keeps one in DATA_DIR/api_token_key).
    token_key: SecretStr = Field(default=SecretStr(""), description="access-token signing key")
    token_issuer: str = "gongkuang"
    token_audience: str = "gongkuang-api"
    access_ttl_s: int = Field(default=900, ge=60, le=3600)
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_appid: str = ""
    wechat_secret: SecretStr = SecretStr("")
    # AWS: where token_key and wechat_secret are kept, read once at cold start (wiring.settings_from_environment):
    # a Secrets Manager secret id or ARN, or "ssm:<name>" of an SSM SecureString; "" = the value above as given.
    token_key_source: str = ""
    wechat_secret_source: str = ""
    cors_origin: str = ""  # the dashboard's origin that may call from a browser (AWS: lambda_proxy adds the header)
    wechat_timeout_s: float = Field(default=5.0, gt=0, le=30)
    # "provider": the notify SMS providers (settings from NOTIFY_CHANNELS_JSON / _FILE / _SECRET, as the notify sender);
    # "log": codes go to the log (local mode without providers); "none": SMS binding is not offered (503).
    sms_sender: Literal["none", "log", "provider"] = "none"
    sms_channels_secret: str = ""  # AWS: the notify channels secret (id/ARN) for "provider"; "" = NOTIFY_CHANNELS_*
    binding_ticket_ttl_s: int = Field(
        default=600, ge=60, le=3600
    )  # an unbound openid's ticket to bind by invitation/SMS
    login_rate_per_minute: float = Field(
        default=10.0, gt=0, le=10_000
    )  # per source address; the lockout is per account
    login_burst: int = Field(default=10, ge=1, le=10_000)
    # The rule engine's parameters, as the platform's RULES_DEFAULTS_PATH / RULES_OVERRIDES_PATH ("" = the packaged
    # defaults, no overrides): the status timeline judges running states with them.
    rules_defaults: str = ""
    rules_overrides: str = ""
    # Photo bytes: a directory (local mode: DATA_DIR/photos) or an S3 bucket (AWS; reads by presigned URL).
    photo_store: Literal["local", "s3"] = "local"
    photo_dir: str = "var/photos"
    photo_bucket: str = ""
    photo_region: str = ""
    photo_endpoint: str = ""  # tests and S3-compatible stores only
    # An evidence package the API hands out (routes/evidence.py): AWS Lambda answers at most 6 MB, base64-encoded.
    evidence_max_bytes: int = Field(default=4_000_000, ge=100_000, le=1_000_000_000)
    # AWS: the raw archive bucket (Firehose → S3, chained by manifests) evidence packages read frames and proof from;
    # "" = the store's own archive (local mode, sqlite).
    archive_bucket: str = ""
    archive_region: str = ""
    archive_endpoint: str = ""  # tests and S3-compatible stores only
    profiles_dir: str = ""  # protocol profiles (decoding a newly bound terminal's early frames); "" = data/profiles

    @field_validator("token_key")
    @classmethod
    def _key_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("token_key: at least 32 bytes of secret (API_TOKEN_KEY)")
        return value

    @model_validator(mode="after")
    def _buckets_on_dynamodb(self) -> ApiSettings:
        if self.reading_buckets and self.store_backend != "dynamodb":
            raise ValueError(f"API_READING_BUCKETS needs API_STORE_BACKEND=dynamodb, not {self.store_backend}")
        return self
