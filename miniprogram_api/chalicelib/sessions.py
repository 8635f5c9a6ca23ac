"""Signing a person in: the account as the API shows it, and the access + refresh token pair of a session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime
from miniprogram_api.chalicelib.tokens import expiry, issue_access
from monitoring.accounts.models import Account, Role
from monitoring.accounts.refresh import issue_refresh, token_hash

if TYPE_CHECKING:
    from miniprogram_api.chalicelib.framework import RequestContext

Channel = Literal["web", "miniprogram"]


class AccountOut(ApiModel):
    """An account as people see it (never its password hash, lock counters or openid)."""

    id: str
    username: str
    display_name: str
    role: Role
    role_name: str = Field(description="角色中文名")
    phone: str
    county_id: str
    branch_id: str | None
    town_id: str | None
    enterprise_ids: list[str]
    terminal_mns: list[str]
    disabled: bool
    wechat_bound: bool = Field(description="是否已绑定微信")
    created_at: BeijingTime
    updated_at: BeijingTime
    version: int

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.id,
            username=account.username,
            display_name=account.display_name,
            role=account.role,
            role_name=account.role_name,
            phone=account.phone,
            county_id=account.county_id,
            branch_id=account.branch_id,
            town_id=account.town_id,
            enterprise_ids=list(account.enterprise_ids),
            terminal_mns=list(account.terminal_mns),
            disabled=account.disabled,
            wechat_bound=account.wechat_openid is not None,
            created_at=account.created_at,
            updated_at=account.updated_at,
            version=account.version,
        )


class TokensOut(ApiModel):
    """A session: the short-lived access token for `Authorization: Bearer …` and the refresh token to renew it."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="access_token 有效秒数")
    expires_at: BeijingTime
    refresh_token: str = Field(description="一次性使用；刷新后换发新的")
    account: AccountOut


def session_tokens(account: Account, channel: Channel, refresh_token: str, ctx: RequestContext) -> TokensOut:
    """The answer of a sign-in or a renewal: a new access token beside the given refresh token."""
    settings = ctx.services.settings
    record = ctx.services.store.accounts.get_refresh_token(token_hash(refresh_token))
    if record is None:  # just written by this request; absent only if the store lost it
        raise errors.unauthenticated("登录已失效，请重新登录", "refresh_invalid")
    access, ttl = issue_access(
        account_id=account.id,
        role=str(account.role),
        channel=channel,
        family_id=record.family_id,
        now=ctx.wall,
        settings=settings,
    )
    return TokensOut(
        access_token=access,
        expires_in=ttl,
        expires_at=expiry(ctx.wall, ttl),
        refresh_token=refresh_token,
        account=AccountOut.of(account),
    )


def start_session(account: Account, channel: Channel, ctx: RequestContext) -> TokensOut:
    """A new refresh-token family for `account` on `channel`, and its first token pair."""
    refresh = issue_refresh(ctx.services.store.accounts, account.id, ctx.wall, channel)
    ctx.act_as(account)
    return session_tokens(account, channel, refresh, ctx)
