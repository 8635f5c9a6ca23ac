"""The one place API roles become the alarm workflow's actors (monitoring.alarms ActorRole)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from miniprogram_api.chalicelib import errors
from monitoring.accounts.models import Role
from monitoring.alarms.models import Actor, ActorRole

if TYPE_CHECKING:
    from miniprogram_api.chalicelib.framework import RequestContext

ACTOR_ROLES: dict[Role, ActorRole] = {
    Role.ENTERPRISE: ActorRole.ENTERPRISE,
    Role.INSTALLER: ActorRole.PROVIDER,  # 安装/运维单位 answers for the enterprises it serves
    Role.BRANCH: ActorRole.BRANCH,
    Role.AIR: ActorRole.BUREAU,
    Role.EMERGENCY: ActorRole.BUREAU,
    Role.ADMIN: ActorRole.BUREAU,
}


def actor(ctx: RequestContext, enterprise_id: str) -> Actor:
    """The caller as the workflow sees it, acting on an object of `enterprise_id` (already checked in scope)."""
    account = ctx.caller
    role = ACTOR_ROLES.get(account.role)
    if role is None:  # town and viewer only read; the policy table refuses them before this
        raise errors.forbidden()
    return Actor(
        account.id,
        role,
        f"ip:{ctx.source_ip} via {ctx.channel}",
        enterprise_id=enterprise_id if role in (ActorRole.ENTERPRISE, ActorRole.PROVIDER) else None,
        branch=account.branch_id if role == ActorRole.BRANCH else None,
    )
