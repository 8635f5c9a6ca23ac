"""Notifications (issue 16): the people the platform cannot reach (no phone, no bound mini-program), for the
bureau to fix; the outbox as the bureau's 通知记录; the subscribe-message grants the mini-program reports; what each
alarm's people were told is part of the alarm detail (routes/alarms.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Page, PageQuery
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor, page_slice
from monitoring.notify.masking import mask
from monitoring.notify.models import CHANNEL_NAMES, STATUS_NAMES, Notification, Status
from monitoring.notify.ports import ChannelKind
from monitoring.notify.service import unreachable

routes = ApiBlueprint("notify")

_KIND_NAMES = {"contact": "企业联系人", "account": "平台账号"}
AUDIENCE_NAMES = {
    "enterprise_contacts": "企业联系人",
    "enterprise_accounts": "企业账号",
    "installer": "安装/运维单位",
    "branch_staff": "执法分局",
    "town_officials": "镇/街道",
    "emergency_staff": "应急科",
    "air_staff": "大气科",
}
EVENT_NAMES = {
    "alarm_raised": "报警",
    "response_overdue": "响应超时提醒",
    "dispatched": "派发",
    "investigation_overdue": "核查超时提醒",
    "emergency_published": "应急启动",
    "emergency_ended": "应急解除",
    "daily_digest": "日报",
}


_REASON_NAMES = {
    "no_channel": "无可用渠道",
    "no_usable_channel": "最近一条通知无可用渠道（未订阅小程序消息或缺少手机号）",
}


class UnreachableOut(ApiModel):
    kind: Literal["contact", "account"]
    kind_name: str
    id: str = Field(description="联系人：企业编号:序号；账号：账号编号")
    name: str
    role: str = Field(description="联系人角色或账号角色（中文）")
    enterprise_id: str | None
    enterprise_name: str
    reason: str = Field(
        description="no_channel：没有手机号也未绑定小程序；no_usable_channel：最近一条通知无可用渠道（如只绑定了小程序但未订阅"
        "该消息，或所需渠道是短信）；failed:<代码>：最近一条通知被服务商永久拒绝"
    )
    reason_name: str


class NotificationOut(ApiModel):
    """One message decided for one person over one channel, and what became of it."""

    recipient: str = Field(description="接收人")
    audience: str
    audience_name: str
    event: str
    event_name: str
    channel: str
    channel_name: str
    address: str = Field(description="号码或微信用户（已脱敏）")
    status: Status
    status_name: str
    merged: bool = Field(description="与同一接收人的其他通知合并为一条发送")
    attempts: int
    provider: str
    provider_id: str = Field(description="服务商回执编号（短信 BizId / SerialNo、微信 msgid），未发送时为空")
    error: str
    decided_at: BeijingTime
    sent_at: BeijingTime | None
    delivered_at: BeijingTime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(
            recipient=n.recipient_name,
            audience=n.audience,
            audience_name=AUDIENCE_NAMES.get(n.audience, n.audience),
            event=n.event_kind,
            event_name=EVENT_NAMES.get(n.event_kind, n.event_kind),
            channel=n.kind.value,
            channel_name=CHANNEL_NAMES[n.kind],
            address=mask(n.address) if n.address else "",
            status=n.status,
            status_name=STATUS_NAMES[n.status],
            merged=bool(n.merged_into),
            attempts=n.attempts,
            provider=n.provider,
            provider_id=n.provider_id,
            error=n.error,
            decided_at=n.created_at,
            sent_at=n.sent_at,
            delivered_at=n.delivered_at,
        )


@routes.route(
    "GET",
    "/notify/unreachable",
    action="notify.unreachable",
    summary="无法通知的人员：没有手机号也未绑定小程序的企业联系人与账号",
    query=PageQuery,
    response=Page[UnreachableOut],
)
def list_unreachable(ctx: RequestContext, query: PageQuery) -> Page[UnreachableOut]:
    found = unreachable(ctx.store, ctx.caller.county_id, ctx.now)
    items, cursor = page_slice(found, query)
    return Page[UnreachableOut](
        items=[
            UnreachableOut(
                kind=u.kind,  # type: ignore[arg-type]
                kind_name=_KIND_NAMES[u.kind],
                id=u.id,
                name=u.name,
                role=u.role,
                enterprise_id=u.enterprise_id,
                enterprise_name=u.enterprise_name,
                reason=u.reason,
                reason_name=_REASON_NAMES.get(u.reason, "最近一条通知发送失败（号码无效或拒收）"),
            )
            for u in items
        ],
        next_cursor=cursor,
    )


EventKind = Literal[
    "alarm_raised",
    "response_overdue",
    "dispatched",
    "investigation_overdue",
    "emergency_published",
    "emergency_ended",
    "daily_digest",
]
OUTBOX_DAYS = 31  # the default window of 通知记录, and (×3) the widest one asked at once
_RECENT = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.+-]{8,}#.{1,300}$")  # base/outbox.py recent_value


class OutboxQuery(PageQuery):
    status: list[Status] | None = Field(None, max_length=8, description="按发送状态筛选")
    channel: list[ChannelKind] | None = Field(None, max_length=4, description="按渠道筛选")
    event: list[EventKind] | None = Field(None, max_length=7, description="按事件筛选")
    decided_from: BeijingTime | None = Field(None, description="决定发送的时间下限（默认 31 天前）")
    decided_to: BeijingTime | None = Field(None, description="决定发送的时间上限（默认现在）")


class OutboxOut(NotificationOut):
    """An outbox entry for the bureau: the message, whom about, and the provider's answer."""

    template: str
    alarm_id: str | None
    enterprise_id: str | None
    enterprise_name: str


def _recent_cursor(cursor: str | None, since: datetime, until: datetime) -> str | None:
    """The position after the previous page; it must lie inside this query's window (it bounds the scan)."""
    if not cursor:
        return None
    value = decode_cursor(cursor, keys=("p",))["p"]
    at = None
    if isinstance(value, str) and _RECENT.match(value):
        try:
            at = datetime.fromisoformat(value.split("#", 1)[0])
        except ValueError:
            at = None
    if at is None or at.tzinfo is None or not since <= at <= until + timedelta(seconds=1):
        raise errors.invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor")
    return str(value)


@routes.route(
    "GET",
    "/notify/outbox",
    action="notify.outbox",
    summary="通知记录：平台决定发送的每条通知（新的在前），接收人号码脱敏，含渠道、状态、服务商回执与错误",
    query=OutboxQuery,
    response=Page[OutboxOut],
)
def list_outbox(ctx: RequestContext, query: OutboxQuery) -> Page[OutboxOut]:
    until = query.decided_to or ctx.now
    try:
        since = query.decided_from or until - timedelta(days=OUTBOX_DAYS)
    except OverflowError:  # a window ending in the first days of year 1
        raise errors.invalid("查询时间超出范围", "decided_to") from None
    if since > until:
        raise errors.invalid("开始时间不能晚于结束时间", "decided_from")
    if until - since > timedelta(days=OUTBOX_DAYS * 3):
        raise errors.invalid(f"查询时间跨度不能超过 {OUTBOX_DAYS * 3} 天", "decided_from")
    statuses = frozenset(query.status or ())
    channels = frozenset(query.channel or ())
    events = frozenset(query.event or ())

    def accept(n: Notification) -> bool:
        return (
            (not statuses or n.status in statuses)
            and (not channels or n.kind in channels)
            and (not events or n.event_kind in events)
        )

    found, after = ctx.store.outbox.recent(
        since, until, before=_recent_cursor(query.cursor, since, until), limit=query.limit, accept=accept
    )
    names: dict[str, str] = {}
    for eid in {n.enterprise_id for n in found if n.enterprise_id}:
        enterprise = ctx.store.registry.find_enterprise(eid)
        names[eid] = enterprise.name if enterprise is not None else ""
    return Page[OutboxOut](
        items=[
            OutboxOut(
                **NotificationOut.of(n).model_dump(),
                template=n.template,
                alarm_id=n.alarm_id,
                enterprise_id=n.enterprise_id,
                enterprise_name=names.get(n.enterprise_id or "", ""),
            )
            for n in found
        ],
        next_cursor=None if after is None else encode_cursor({"p": after}),
    )


TemplateId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class SubscriptionsIn(ApiModel):
    """What `wx.requestSubscribeMessage` answered: template id → accept | reject | ban | filtered."""

    results: dict[TemplateId, Literal["accept", "reject", "ban", "filtered"]] = Field(min_length=1, max_length=20)


class SubscriptionsOut(ApiModel):
    grants: dict[str, int] = Field(description="订阅消息模板编号 → 尚可发送的条数（每次同意可发一条）")


@routes.route(
    "POST",
    "/notify/subscriptions",
    action="notify.subscriptions",
    summary="上报订阅消息授权结果：每次同意，平台可向本人发送该模板一条消息",
    body=SubscriptionsIn,
    response=SubscriptionsOut,
)
def report_subscriptions(ctx: RequestContext, body: SubscriptionsIn) -> SubscriptionsOut:
    openid = ctx.caller.wechat_openid
    if not openid:
        raise errors.conflict("本账号未绑定微信，无法接收订阅消息", "wechat_not_bound")
    # accept: one more message allowed; ban (the person turned the template off): none; reject/filtered: unchanged
    changes: dict[str, int | None] = {}
    for template_id, answer in body.results.items():
        if answer == "accept":
            changes[template_id] = 1
        elif answer == "ban":
            changes[template_id] = None
    outbox = ctx.store.outbox
    return SubscriptionsOut(
        grants=outbox.change_subscription_grants(openid, changes) if changes else outbox.subscription_grants(openid)
    )
