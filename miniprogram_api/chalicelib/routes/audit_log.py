"""The audit log query for the bureau (admin, 大气科): the general trail, and one alarm's own audit beside it;
a thin route over `monitoring.views.audit_log` (docs/api.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from miniprogram_api.chalicelib.errors import invalid
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import CURSOR_PATTERN, ApiModel, BeijingTime, Id
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor
from monitoring.errors import InvalidInputError
from monitoring.views import audit_log as audit_view

routes = ApiBlueprint("audit_log")


class AuditQuery(ApiModel):
    since: BeijingTime | None = Field(None, description="缺省为结束时间前 7 天")
    until: BeijingTime | None = Field(None, description="缺省为现在")
    actor_id: Id | None = None
    object_type: str | None = Field(None, pattern=r"^[a-z][a-z_]{0,31}$", description="如 enterprise、alarm、account")
    object_id: Id | None = None
    enterprise_id: Id | None = None
    action: str | None = Field(
        None,
        pattern=r"^[a-z][a-z_]{0,31}(\.[a-z][a-z_]{0,31}){1,3}$",
        description="操作，如 alarms.close；被拒绝的为 alarms.close.denied",
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN)


class AuditItem(ApiModel):
    record_id: str
    at: BeijingTime
    actor_id: str
    actor_name: str
    actor_role: str
    source_ip: str
    channel: str
    action: str
    object_type: str
    object_id: str
    enterprise_id: str | None
    detail: dict[str, Any]


class AlarmAuditItem(ApiModel):
    at: BeijingTime
    actor: str
    role: str
    source: str
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


class AuditPageOut(ApiModel):
    items: list[AuditItem]
    next_cursor: str | None = None
    since: BeijingTime
    until: BeijingTime
    alarm_entries: list[AlarmAuditItem] | None = Field(None, description="按单条报警查询时：该报警自身的流转记录")


@routes.route(
    "GET",
    "/audit",
    action="audit.read",
    summary="操作审计日志（谁、何时、从哪里、做了什么）",
    query=AuditQuery,
    response=AuditPageOut,
)
def audit_log(ctx: RequestContext, query: AuditQuery) -> AuditPageOut:
    where = audit_view.AuditFilter(
        since=query.since,
        until=query.until,
        actor_id=query.actor_id,
        object_type=query.object_type,
        object_id=query.object_id,
        enterprise_id=query.enterprise_id,
        action=query.action,
    )
    inner: str | None = None
    if query.cursor is not None:
        decoded = decode_cursor(query.cursor, keys=("trail",))["trail"]
        if not isinstance(decoded, str):
            raise invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
        inner = decoded
    try:
        page = audit_view.audit_log(
            ctx.store, where, visible=ctx.visible_enterprise_ids(), now=ctx.now, limit=query.limit, cursor=inner
        )
    except InvalidInputError as exc:
        if query.cursor is not None and "游标" in str(exc):
            raise invalid(str(exc), "cursor", "invalid_cursor") from None
        raise
    entries = page.alarm_entries
    return AuditPageOut(
        items=[
            AuditItem(
                record_id=r.record_id,
                at=r.at,
                actor_id=r.actor_id,
                actor_name=page.actor_names.get(r.actor_id, ""),
                actor_role=r.actor_role,
                source_ip=r.source_ip,
                channel=r.channel,
                action=r.action,
                object_type=r.object_type,
                object_id=r.object_id,
                enterprise_id=r.enterprise_id,
                detail=dict(r.detail),
            )
            for r in page.records
        ],
        next_cursor=None if page.next_cursor is None else encode_cursor({"trail": page.next_cursor}),
        since=page.since,
        until=page.until,
        alarm_entries=None
        if entries is None
        else [
            AlarmAuditItem(
                at=e.at,
                actor=e.actor,
                role=e.role,
                source=e.source,
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                detail=dict(e.detail),
            )
            for e in entries
        ],
    )
