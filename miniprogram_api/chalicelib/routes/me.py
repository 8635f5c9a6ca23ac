"""The caller's own account: who am I, change my password."""

from __future__ import annotations

from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel
from miniprogram_api.chalicelib.policy import POLICY
from miniprogram_api.chalicelib.sessions import AccountOut
from monitoring.accounts.errors import AccountInputError
from monitoring.accounts.passwords import verify_password
from monitoring.accounts.service import set_password

routes = ApiBlueprint("me")


class PasswordChangeIn(ApiModel):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128, description="至少 8 位，不能全为数字")


class MeOut(AccountOut):
    """The caller, and what its role may do (the policy table's actions), so a client shows only usable buttons."""

    actions: list[str] = Field(description="本角色可执行的操作（权限表中的动作）")


@routes.route("GET", "/me", action="me.read", summary="当前登录账号及其可执行的操作", response=MeOut)
def me(ctx: RequestContext) -> MeOut:
    account = ctx.caller
    actions = sorted(action for action, roles in POLICY.items() if account.role in roles)
    return MeOut(**AccountOut.of(account).model_dump(), actions=actions)


@routes.route(
    "POST",
    "/me/password",
    action="me.password",
    summary="修改自己的密码（其他登录随之退出）",
    body=PasswordChangeIn,
    response=AccountOut,
)
def change_password(ctx: RequestContext, body: PasswordChangeIn) -> AccountOut:
    account = ctx.caller
    if not verify_password(account.password_hash, body.old_password, ctx.services.hasher):
        raise errors.invalid("原密码不正确", "old_password", "wrong_password")
    try:
        changed = set_password(
            ctx.services.store.accounts, account.id, body.new_password, ctx.wall, hasher=ctx.services.hasher
        )
    except AccountInputError as exc:
        raise errors.invalid(exc.message, "new_password", exc.code) from None
    ctx.audit("account", account.id)
    return AccountOut.of(changed)
