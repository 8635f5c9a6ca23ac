"""The dashboard's counts by town and by branch (cached a few seconds per scope): a thin route over
`monitoring.views.dashboard` (docs/api.md, docs/monitoring.md §9)."""

from __future__ import annotations

from pydantic import Field

from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime
from monitoring.registry.models import InstallStatus
from monitoring.views import dashboard

routes = ApiBlueprint("dashboard")


class CountsItem(ApiModel):
    enterprises: int
    exempt: int
    terminals_online: int
    terminals_offline: int
    producing: int
    stopped: int
    curtailed: int
    unknown: int
    open_alarms: int
    overdue_alarms: int
    open_by_rule: dict[str, int]
    install_progress: dict[str, int] = Field(description="安装进度：各安装状态（pending_survey…filed）的企业数")
    overdue_by_rule: dict[str, int]


class AreaItem(ApiModel):
    id: str
    name: str
    counts: CountsItem


class SummaryOut(ApiModel):
    at: BeijingTime
    total: CountsItem
    towns: list[AreaItem]
    branches: list[AreaItem]


def _counts(c: dashboard.Counts) -> CountsItem:
    return CountsItem(
        enterprises=c.enterprises,
        exempt=c.exempt,
        terminals_online=c.terminals_online,
        terminals_offline=c.terminals_offline,
        producing=c.status["producing"],
        stopped=c.status["stopped"],
        curtailed=c.status["curtailed"],
        unknown=c.status["unknown"],
        open_alarms=sum(c.open_alarms.values()),
        overdue_alarms=sum(c.overdue_alarms.values()),
        open_by_rule=dict(sorted((+c.open_alarms).items())),
        overdue_by_rule=dict(sorted((+c.overdue_alarms).items())),
        install_progress={s.value: c.install[s.value] for s in InstallStatus},
    )


@routes.route(
    "GET", "/dashboard/summary", action="dashboard.read", summary="按镇/街道、执法分局汇总（首页）", response=SummaryOut
)
def dashboard_summary(ctx: RequestContext) -> SummaryOut:
    cache: dashboard.SummaryCache = ctx.services.extras.setdefault("dashboard_summary", dashboard.SummaryCache())
    s = cache.get(ctx.store, ctx.caller.county_id, visible=ctx.visible_enterprise_ids(), now=ctx.now)
    return SummaryOut(
        at=s.at,
        total=_counts(s.total),
        towns=[AreaItem(id=a.area_id, name=a.name, counts=_counts(a.counts)) for a in s.towns],
        branches=[AreaItem(id=a.area_id, name=a.name, counts=_counts(a.counts)) for a in s.branches],
    )
