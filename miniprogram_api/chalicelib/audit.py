"""The audit entry of a mutating call, built by the framework from the request (who, role, when, where, what).

Written to `Store.audit_trail` (monitoring.audit) where the store has one; until then to the "audit" log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from miniprogram_api.chalicelib.framework import RequestContext

log = logging.getLogger("miniprogram_api.audit")


def audit_fields(ctx: RequestContext, path_params: Mapping[str, str]) -> dict[str, Any]:
    """The entry for the call in `ctx`: the object the handler named with `ctx.audit(...)`, else the route's area
    and its last path parameter."""
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
    return {
        "at": ctx.now,
        "actor_id": account.id if account is not None else "",
        "actor_role": str(account.role) if account is not None else "",
        "source_ip": ctx.source_ip,
        "channel": ctx.channel,
        "action": ctx.spec.action,
        "object_type": object_type,
        "object_id": object_id,
        "enterprise_id": enterprise_id,
        "detail": {"request_id": ctx.request_id, **detail},
    }


def write(store: Any, fields: dict[str, Any]) -> None:
    trail = getattr(store, "audit_trail", None)
    if trail is None:
        log.info("audit %s", json.dumps(fields, default=str, ensure_ascii=False))
        return
    from monitoring.audit import AuditRecord  # type: ignore[import-not-found,unused-ignore]

    trail.append(AuditRecord(**fields))
