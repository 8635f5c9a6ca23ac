"""Accounts and their records: roles with Chinese names, the versioned `Account`, refresh-token families,
invitations and SMS login codes. Records validate themselves, so a stored one decodes only if it is sound."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from monitoring._time import require_utc
from monitoring.accounts.errors import AccountInputError

USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")
PHONE = re.compile(r"1\d{10}")
CHANNELS = frozenset({"web", "miniprogram"})


class Role(StrEnum):
    ADMIN = "admin"
    AIR = "air"
    EMERGENCY = "emergency"
    BRANCH = "branch"
    TOWN = "town"
    ENTERPRISE = "enterprise"
    INSTALLER = "installer"
    VIEWER = "viewer"


ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.AIR: "大气科",
    Role.EMERGENCY: "应急科",
    Role.BRANCH: "执法分局",
    Role.TOWN: "镇/街道",
    Role.ENTERPRISE: "企业",
    Role.INSTALLER: "安装/运维单位",
    Role.VIEWER: "只读",
}
# Roles whose scope is the whole county.
COUNTY_ROLES = frozenset({Role.ADMIN, Role.AIR, Role.EMERGENCY, Role.VIEWER})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Account:
    """A person's account. `version` is the stored version (0 = not stored yet); `put_account` succeeds only
    when it matches and returns the record with version + 1.

    Scope fields by role: branch → branch_id; town → town_id; enterprise → enterprise_ids (≥ 1);
    installer → enterprise_ids and/or terminal_mns (≥ 1 in all); the county roles need none."""

    id: str
    username: str
    display_name: str
    role: Role
    county_id: str
    phone: str = ""
    branch_id: str | None = None
    town_id: str | None = None
    enterprise_ids: tuple[str, ...] = ()
    terminal_mns: tuple[str, ...] = ()
    disabled: bool = False
    password_hash: str | None = None
    wechat_openid: str | None = None
    failed_logins: int = 0
    first_failed_at: datetime | None = None  # start of the current failure window (lockout counts within it)
    locked_until: datetime | None = None
    created_at: datetime = _EPOCH
    updated_at: datetime = _EPOCH
    version: int = 0

    def __post_init__(self) -> None:
        if not self.id:
            raise AccountInputError("id", "账号编号不能为空")
        if not USERNAME.fullmatch(self.username):
            raise AccountInputError("username", "用户名须为 3–32 位字母、数字、下划线、点或连字符")
        if not self.display_name.strip() or len(self.display_name) > 64:
            raise AccountInputError("display_name", "姓名不能为空，且不超过 64 个字符")
        if not isinstance(self.role, Role):
            object.__setattr__(self, "role", _role(self.role))
        if self.phone and not PHONE.fullmatch(self.phone):
            raise AccountInputError("phone", "手机号须为以 1 开头的 11 位数字")
        if not self.county_id:
            raise AccountInputError("county_id", "所属区县不能为空")
        object.__setattr__(self, "enterprise_ids", tuple(self.enterprise_ids))
        object.__setattr__(self, "terminal_mns", tuple(self.terminal_mns))
        _check_scope(self)
        if self.wechat_openid is not None and not self.wechat_openid:
            raise AccountInputError("wechat_openid", "微信 openid 不能为空字符串")
        if self.failed_logins < 0 or self.version < 0:
            raise AccountInputError("version", "计数不能为负")
        for name in ("first_failed_at", "locked_until", "created_at", "updated_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, name))

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


def _role(value: object) -> Role:
    try:
        return Role(str(value))
    except ValueError:
        raise AccountInputError("role", f"未知角色 {value!r}，可选：{'、'.join(r.value for r in Role)}") from None


def _check_scope(account: Account) -> None:
    role = account.role
    if role is Role.BRANCH and not account.branch_id:
        raise AccountInputError("branch_id", "执法分局账号须指定所属分局")
    if role is Role.TOWN and not account.town_id:
        raise AccountInputError("town_id", "镇/街道账号须指定所属镇/街道")
    if role is Role.ENTERPRISE and not account.enterprise_ids:
        raise AccountInputError("enterprise_ids", "企业账号须至少关联一家企业")
    if role is Role.INSTALLER and not (account.enterprise_ids or account.terminal_mns):
        raise AccountInputError("enterprise_ids", "安装/运维单位账号须至少分配一家企业或一台终端")
    if any(not e for e in account.enterprise_ids) or any(not m for m in account.terminal_mns):
        raise AccountInputError("enterprise_ids", "企业编号和终端 MN 不能为空")


@dataclass(frozen=True)
class RefreshFamily:
    """The chain of refresh tokens grown from one sign-in; revoking it ends every token in it."""

    family_id: str
    account_id: str
    channel: str
    created_at: datetime
    revoked_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class RefreshToken:
    """One refresh token, known only by the SHA-256 of its text. `used_at` set = rotated away."""

    token_hash: str
    family_id: str
    account_id: str
    channel: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class Invitation:
    """A one-time code that binds a WeChat openid to the account it was made for; stored hashed."""

    code_hash: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class SmsCode:
    """The current SMS login code of a phone and its send counters (one record per phone); stored hashed."""

    phone: str
    code_hash: str
    issued_at: datetime
    expires_at: datetime
    failed_attempts: int = 0
    day: str = ""  # the China calendar day the counter below belongs to
    sent_today: int = 0
    used: bool = False
    version: int = 0


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise AccountInputError("channel", f"未知渠道 {channel!r}，可选：web、miniprogram")
    return channel


__all__ = [
    "CHANNELS",
    "COUNTY_ROLES",
    "PHONE",
    "ROLE_NAMES",
    "USERNAME",
    "Account",
    "Invitation",
    "RefreshFamily",
    "RefreshToken",
    "Role",
    "SmsCode",
    "check_channel",
]
