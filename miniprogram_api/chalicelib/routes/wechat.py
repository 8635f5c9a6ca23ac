"""Mini-program sign-in: wx.login code → openid (jscode2session) → tokens when bound, else a binding ticket that
an invitation code or a phone + SMS code turns into a bound account."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime
from miniprogram_api.chalicelib.routes.auth import failures_limited
from miniprogram_api.chalicelib.sessions import TokensOut, start_session
from miniprogram_api.chalicelib.sms import SmsSendError, mask_phone
from miniprogram_api.chalicelib.tokens import issue_binding_ticket, read_binding_ticket
from miniprogram_api.chalicelib.wechat import openid_for
from monitoring.accounts.binding import SMS_MIN_INTERVAL, SMS_TTL, issue_sms_code, redeem_invitation, verify_sms_code
from monitoring.notify.ports import SendStatus

routes = ApiBlueprint("wechat")
TICKET = r"^[A-Za-z0-9_.-]{20,2048}$"
PHONE = r"^1\d{10}$"


class WechatLoginIn(ApiModel):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,128}$", description="wx.login 返回的 code")


class WechatLoginOut(ApiModel):
    """`bound`: tokens to use; `unbound`: bind first with the ticket (invitation code, or phone + SMS code)."""

    status: Literal["bound", "unbound"]
    tokens: TokensOut | None = None
    binding_ticket: str | None = None
    ticket_expires_at: BeijingTime | None = None


class BindInvitationIn(ApiModel):
    binding_ticket: str = Field(pattern=TICKET)
    invitation_code: str = Field(min_length=4, max_length=32, description="管理员下发的邀请码（不区分大小写）")


class SmsCodeIn(ApiModel):
    binding_ticket: str = Field(pattern=TICKET)
    phone: str = Field(pattern=PHONE)


class SmsCodeOut(ApiModel):
    sent_to: str = Field(description="脱敏手机号")
    expires_in: int = Field(description="验证码有效秒数")
    resend_after: int = Field(description="多少秒后可重新获取")


class BindPhoneIn(ApiModel):
    binding_ticket: str = Field(pattern=TICKET)
    phone: str = Field(pattern=PHONE)
    sms_code: str = Field(pattern=r"^\d{6}$")


@routes.route(
    "POST",
    "/auth/wechat",
    action="auth.wechat",
    summary="小程序登录（wx.login 的 code）",
    body=WechatLoginIn,
    response=WechatLoginOut,
    public=True,
    atomic=False,
)
def wechat_login(ctx: RequestContext, body: WechatLoginIn) -> WechatLoginOut:
    with failures_limited(ctx):
        openid = openid_for(body.code, ctx.services.settings)
    account = ctx.services.store.accounts.find_by_openid(openid)
    if account is None:
        ticket, expires = issue_binding_ticket(openid, ctx.wall, ctx.services.settings)
        ctx.audit("wechat_binding", "")
        return WechatLoginOut(status="unbound", binding_ticket=ticket, ticket_expires_at=expires)
    if account.disabled:
        raise errors.unauthenticated("账号已停用，请联系管理员", "account_disabled")
    ctx.audit("account", account.id)
    return WechatLoginOut(status="bound", tokens=start_session(account, "miniprogram", ctx))


@routes.route(
    "POST",
    "/auth/wechat/bind-invitation",
    action="auth.wechat_bind_invitation",
    summary="用邀请码绑定微信并登录",
    body=BindInvitationIn,
    response=TokensOut,
    public=True,
    atomic=False,
)
def bind_invitation(ctx: RequestContext, body: BindInvitationIn) -> TokensOut:
    with failures_limited(ctx):
        openid = read_binding_ticket(body.binding_ticket, ctx.wall, ctx.services.settings)
        account = redeem_invitation(ctx.services.store.accounts, body.invitation_code, openid, ctx.wall)
    ctx.audit("account", account.id, bound="invitation")
    return start_session(account, "miniprogram", ctx)


@routes.route(
    "POST",
    "/auth/wechat/sms-code",
    action="auth.wechat_sms_code",
    summary="获取短信验证码（绑定微信用）",
    body=SmsCodeIn,
    response=SmsCodeOut,
    status=202,
    public=True,
    atomic=False,
    audit=False,
    description="不记审计：发送记录在验证码记录本身（每号每 60 秒 1 条、每天 10 条）。",
)
def sms_code(ctx: RequestContext, body: SmsCodeIn) -> SmsCodeOut:
    sender = ctx.services.sms
    if sender is None:
        raise errors.ApiError(503, "sms_unavailable", "短信服务未配置，请使用邀请码绑定")
    with failures_limited(ctx):  # an unregistered phone counts as a failure: probing phone numbers is limited
        read_binding_ticket(body.binding_ticket, ctx.wall, ctx.services.settings)
        code = issue_sms_code(ctx.services.store.accounts, body.phone, ctx.wall)
    try:
        sender.send_login_code(body.phone, code)
    except SmsSendError as exc:
        if exc.throttled:
            raise errors.ApiError(
                429, "sms_provider_throttled", "短信发送过于频繁，请稍后再试",
                headers={"Retry-After": str(exc.retry_after_s)},
            ) from None  # fmt: skip
        if any(r.status is SendStatus.PERMANENT for r in exc.results):
            raise errors.ApiError(
                422, "sms_phone_unreachable", "该手机号无法接收短信，请使用邀请码绑定", field="phone"
            ) from None
        raise errors.ApiError(
            503, "sms_unavailable", "短信发送失败，请稍后重试", headers={"Retry-After": str(exc.retry_after_s)}
        ) from None
    except Exception:
        raise errors.ApiError(
            503, "sms_unavailable", "短信发送失败，请稍后重试", headers={"Retry-After": "60"}
        ) from None
    return SmsCodeOut(
        sent_to=mask_phone(body.phone),
        expires_in=int(SMS_TTL.total_seconds()),
        resend_after=int(SMS_MIN_INTERVAL.total_seconds()),
    )


@routes.route(
    "POST",
    "/auth/wechat/bind-phone",
    action="auth.wechat_bind_phone",
    summary="用手机号 + 短信验证码绑定微信并登录",
    body=BindPhoneIn,
    response=TokensOut,
    public=True,
    atomic=False,
)
def bind_phone(ctx: RequestContext, body: BindPhoneIn) -> TokensOut:
    with failures_limited(ctx):
        openid = read_binding_ticket(body.binding_ticket, ctx.wall, ctx.services.settings)
        account = verify_sms_code(ctx.services.store.accounts, body.phone, body.sms_code, openid, ctx.wall)
    ctx.audit("account", account.id, bound="sms")
    return start_session(account, "miniprogram", ctx)
