"""The audit entry of a mutating call, built by the framework from the request (who, role, when, where, what),
appended to `Store.audit_trail` (monitoring.audit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from monitoring.audit.models import AuditRecord

if TYPE_CHECKING:
    from miniprogram_api.chalicelib.framework import RequestContext

ANONYMOUS = "anonymous"  # the actor of a public call that named nobody (a WeChat login not yet bound)


def audit_record(ctx: RequestContext, path_params: Mapping[str, str], denied: str | None = None) -> AuditRecord:
    """The entry for the call in `ctx`: the object the handler named with `ctx.audit(...)`, else the route's area
    and its last path parameter. `denied`: the error code of a refused attempt (action suffixed ".denied")."""
    target = ctx.audit_target
    if target is not None:
        object_type, object_id, enterprise_id, detail = (
            target.object_type,
            target.object_id,
            target.enterprise_id,
            target.detail,
        )
    else:
        last = ctx.spec.path_params[-1] if ctx.spec.path_params else ""
        object_type, object_id, enterprise_id, detail = ctx.spec.area, path_params.get(last, ""), None, {}
    account = ctx.account
    return AuditRecord(
        at=ctx.now,
        actor_id=account.id if account is not None else ANONYMOUS,
        actor_role=str(account.role) if account is not None else "",
        source_ip=ctx.source_ip[:128],
        channel=ctx.channel,
        action=ctx.spec.action if denied is None else f"{ctx.spec.action}.denied",
        object_type=object_type,
        object_id=object_id,
        enterprise_id=enterprise_id,
        detail={"request_id": ctx.request_id, **detail, **({} if denied is None else {"error": denied})},
    )
