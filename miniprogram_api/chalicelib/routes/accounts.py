"""Accounts administration (admin): list, detail, create, edit, disable/enable, reset a password, invite to
WeChat, unbind WeChat."""

from __future__ import annotations

import dataclasses

from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import page_slice
from miniprogram_api.chalicelib.sessions import AccountOut
from monitoring.accounts.binding import INVITATION_TTL, create_invitation, unbind_openid
from monitoring.accounts.errors import AccountInputError
from monitoring.accounts.models import Account, Role
from monitoring.accounts.service import (
    create_account,
    disable_account,
    enable_account,
    set_password,
    update_account,
)
from monitoring.errors import ConflictError

routes = ApiBlueprint("accounts")


class AccountsQuery(PageQuery):
    role: Role | None = Field(None, description="按角色筛选")


class AccountCreateIn(ApiModel):
    username: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    role: Role
    phone: str = Field("", pattern=r"^(1\d{10})?$")
    branch_id: Id | None = None
    town_id: Id | None = None
    enterprise_ids: list[Id] = Field(default_factory=list, max_length=500)
    terminal_mns: list[Id] = Field(default_factory=list, max_length=2000)
    password: str | None = Field(None, min_length=1, max_length=128, description="不填则只能通过微信邀请码或短信登录")


class AccountEditIn(ApiModel):
    """The fields to change (absent = unchanged) and the version read (409 when someone changed it since)."""

    version: int = Field(ge=0)
    display_name: str | None = Field(None, min_length=1, max_length=64)
    role: Role | None = None
    phone: str | None = Field(None, pattern=r"^(1\d{10})?$")
    branch_id: Id | None = None
    town_id: Id | None = None
    enterprise_ids: list[Id] | None = Field(None, max_length=500)
    terminal_mns: list[Id] | None = Field(None, max_length=2000)


class PasswordResetIn(ApiModel):
    password: str = Field(min_length=1, max_length=128, description="至少 8 位，不能全为数字")


def _in_county(ctx: RequestContext, account_id: str) -> Account:
    """The account if it belongs to the admin's county (another county's accounts do not exist here)."""
    found: Account | None = ctx.services.store.accounts.find_account(account_id)
    if found is None or found.county_id != ctx.caller.county_id:
        raise errors.not_found("账号不存在")
    return found


@routes.route(
    "GET", "/accounts", action="accounts.read", summary="账号列表", query=AccountsQuery, response=Page[AccountOut]
)
def list_accounts(ctx: RequestContext, query: AccountsQuery) -> Page[AccountOut]:
    found = ctx.services.store.accounts.list_accounts(ctx.caller.county_id, role=query.role)
    found.sort(key=lambda a: (a.role.value, a.username))
    items, cursor = page_slice(found, query)
    return Page[AccountOut](items=[AccountOut.of(a) for a in items], next_cursor=cursor)


@routes.route("GET", "/accounts/{account_id}", action="accounts.read", summary="账号详情", response=AccountOut)
def get_account(ctx: RequestContext, account_id: str) -> AccountOut:
    return AccountOut.of(_in_county(ctx, account_id))


@routes.route(
    "POST",
    "/accounts",
    action="accounts.create",
    summary="新建账号",
    body=AccountCreateIn,
    response=AccountOut,
    status=201,
)
def create(ctx: RequestContext, body: AccountCreateIn) -> AccountOut:
    account = create_account(
        ctx.services.store.accounts,
        ctx.wall,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        county_id=ctx.caller.county_id,
        phone=body.phone,
        branch_id=body.branch_id,
        town_id=body.town_id,
        enterprise_ids=body.enterprise_ids,
        terminal_mns=body.terminal_mns,
        password=body.password,
        hasher=ctx.services.hasher,
    )
    ctx.audit("account", account.id, role=str(account.role), username=account.username)
    return AccountOut.of(account)


@routes.route(
    "POST",
    "/accounts/{account_id}/disable",
    action="accounts.disable",
    summary="停用账号（立即退出全部登录）",
    response=AccountOut,
)
def disable(ctx: RequestContext, account_id: str) -> AccountOut:
    target = _in_county(ctx, account_id)
    if target.id == ctx.caller.id:
        raise errors.conflict("不能停用自己的账号", "cannot_disable_self")
    ctx.audit("account", target.id)
    return AccountOut.of(disable_account(ctx.services.store.accounts, target.id, ctx.wall))


@routes.route(
    "POST", "/accounts/{account_id}/enable", action="accounts.enable", summary="启用账号", response=AccountOut
)
def enable(ctx: RequestContext, account_id: str) -> AccountOut:
    target = _in_county(ctx, account_id)
    ctx.audit("account", target.id)
    return AccountOut.of(enable_account(ctx.services.store.accounts, target.id, ctx.wall))


@routes.route(
    "POST",
    "/accounts/{account_id}/password",
    action="accounts.password",
    summary="重置账号密码（其登录全部退出）",
    body=PasswordResetIn,
    response=AccountOut,
)
def reset_password(ctx: RequestContext, account_id: str, body: PasswordResetIn) -> AccountOut:
    target = _in_county(ctx, account_id)
    ctx.audit("account", target.id)
    try:
        changed = set_password(
            ctx.services.store.accounts, target.id, body.password, ctx.wall, hasher=ctx.services.hasher
        )
    except AccountInputError as exc:
        raise errors.invalid(exc.message, "password", exc.code) from None
    return AccountOut.of(changed)


class InvitationOut(ApiModel):
    """Shown once: the code is stored hashed and cannot be read again (a new invitation voids the old one)."""

    account_id: str
    invitation_code: str
    expires_at: BeijingTime


@routes.route(
    "POST",
    "/accounts/{account_id}/invite",
    action="accounts.invite",
    summary="生成微信绑定邀请码（72 小时有效，一次性）",
    response=InvitationOut,
    status=201,
)
def invite(ctx: RequestContext, account_id: str) -> InvitationOut:
    target = _in_county(ctx, account_id)
    if target.disabled:  # not the caller's sign-in failing (401): the account must be enabled first
        raise errors.conflict("账号已停用，请先启用", "account_disabled")
    ctx.audit("account", target.id)
    code = create_invitation(ctx.services.store.accounts, target.id, ctx.wall, INVITATION_TTL)
    return InvitationOut(account_id=target.id, invitation_code=code, expires_at=ctx.wall + INVITATION_TTL)


@routes.route(
    "PATCH",
    "/accounts/{account_id}",
    action="accounts.edit",
    summary="修改账号（姓名、角色、手机号、管辖范围）",
    body=AccountEditIn,
    response=AccountOut,
)
def edit(ctx: RequestContext, account_id: str, body: AccountEditIn) -> AccountOut:
    target = _in_county(ctx, account_id)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    for name in ("enterprise_ids", "terminal_mns"):
        if name in changes:
            changes[name] = tuple(changes[name] or ())

    def change(account: Account) -> Account:
        if account.version != body.version:
            raise ConflictError("账号已被他人修改，请刷新后重试")
        return dataclasses.replace(account, **changes)

    ctx.audit("account", target.id, fields=sorted(changes))
    return AccountOut.of(update_account(ctx.services.store.accounts, target.id, ctx.wall, change))


@routes.route(
    "POST",
    "/accounts/{account_id}/unbind-wechat",
    action="accounts.edit",
    summary="解除微信绑定（换手机或离职）",
    response=AccountOut,
)
def unbind_wechat(ctx: RequestContext, account_id: str) -> AccountOut:
    target = _in_county(ctx, account_id)
    ctx.audit("account", target.id)
    return AccountOut.of(unbind_openid(ctx.services.store.accounts, target.id, ctx.wall))
