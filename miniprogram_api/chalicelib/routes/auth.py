"""Signing in and out: password login (web), refresh-token rotation, logout. WeChat login: routes/wechat.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel
from miniprogram_api.chalicelib.sessions import Channel, TokensOut, session_tokens, start_session
from monitoring.accounts.errors import AuthError
from monitoring.accounts.refresh import revoke_family_of, rotate_refresh, token_hash
from monitoring.accounts.service import authenticate

routes = ApiBlueprint("auth")
REFRESH_PATTERN = r"^[A-Za-z0-9_-]{20,128}$"


class LoginIn(ApiModel):
    login: str = Field(min_length=1, max_length=64, description="用户名或手机号")
    password: str = Field(min_length=1, max_length=128, description="密码")
    channel: Channel = Field("web", description="登录渠道：web（监管平台）或 miniprogram（小程序）")


class RefreshIn(ApiModel):
    refresh_token: str = Field(pattern=REFRESH_PATTERN)


@contextmanager
def failures_limited(ctx: RequestContext) -> Iterator[None]:
    """429 with Retry-After once this address has failed to sign in too often; only failures count, so an office
    behind one address signs in freely (per account, the lockout counts too)."""
    # API Gateway's sourceIp: behind the dashboard's CloudFront an edge's address, shared by its viewers. Not
    # X-Forwarded-For or CloudFront-Viewer-Address: a caller of the stage's own URL writes those as it likes.
    limiter, key = ctx.services.login_limiter, ctx.source_ip or "unknown"
    wait = limiter.wait(key, time.monotonic())
    if wait > 0:
        raise errors.rate_limited(wait, "登录失败次数过多，请稍后再试")
    try:
        yield
    except (AuthError, errors.ApiError) as exc:
        if not isinstance(exc, errors.ApiError) or exc.status in (401, 422):
            limiter.take(key, time.monotonic())
        raise


@routes.route(
    "POST",
    "/auth/login",
    action="auth.login",
    summary="用户名或手机号 + 密码登录",
    body=LoginIn,
    response=TokensOut,
    public=True,
    atomic=False,
)
def login(ctx: RequestContext, body: LoginIn) -> TokensOut:
    with failures_limited(ctx):
        repo, hasher = ctx.services.store.accounts, ctx.services.hasher
        account = authenticate(repo, body.login, body.password, ctx.wall, hasher=hasher)
    ctx.audit("account", account.id)
    return start_session(account, body.channel, ctx)


@routes.route(
    "POST",
    "/auth/refresh",
    action="auth.refresh",
    summary="用刷新令牌换发新令牌（旧刷新令牌作废）",
    body=RefreshIn,
    response=TokensOut,
    public=True,
    atomic=False,
    audit=False,
    description="刷新令牌只能使用一次；重复使用会使同一登录的全部令牌失效。不记审计（每 15 分钟一次，无业务变更）。",
)
def refresh(ctx: RequestContext, body: RefreshIn) -> TokensOut:
    repo = ctx.services.store.accounts
    record = repo.get_refresh_token(token_hash(body.refresh_token))
    account, new_token = rotate_refresh(repo, body.refresh_token, ctx.wall)
    channel: Channel = "miniprogram" if record is not None and record.channel == "miniprogram" else "web"
    ctx.act_as(account)
    return session_tokens(account, channel, new_token, ctx)


@routes.route(
    "POST",
    "/auth/logout",
    action="auth.logout",
    summary="退出登录（作废本次登录的全部令牌）",
    body=RefreshIn,
    public=True,
    status=204,
    atomic=False,
)
def logout(ctx: RequestContext, body: RefreshIn) -> None:
    repo = ctx.services.store.accounts
    record = repo.get_refresh_token(token_hash(body.refresh_token))
    revoke_family_of(repo, body.refresh_token, ctx.wall)
    if record is not None:
        ctx.act_as(repo.get_account(record.account_id))
    ctx.audit("session", record.family_id if record is not None else "")
