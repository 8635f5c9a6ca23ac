"""Periodic reports: the month's energy per enterprise of the caller's scope (月度用电汇总), paged as JSON and as one
XLSX download with Chinese headers; the monthly report (月度报告) of the county, a town or a branch as XLSX or PDF."""

from __future__ import annotations

import io
from datetime import date
from typing import Literal
from urllib.parse import quote

from chalice.app import Response
from pydantic import Field

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, Id, PageQuery
from miniprogram_api.chalicelib.pagination import page_slice
from monitoring.accounts.models import Role
from monitoring.errors import InvalidInputError
from monitoring.registry.models import Enterprise
from monitoring.reports.monthly import build, model
from monitoring.reports.monthly.xlsx import write_xlsx
from monitoring.views import monthly_energy

routes = ApiBlueprint("periodic_reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"  # ASCII digits only (\d would take other scripts' digits)


class MonthFilter(ApiModel):
    month: str = Field(pattern=MONTH, description="北京时间月份，如 2026-11")
    town_id: Id | None = None
    branch_id: Id | None = None


class MonthlyQuery(MonthFilter, PageQuery):
    limit: int = Field(50, ge=1, le=100, description="每页企业数（逐家汇总日数据）")


class MonthlyRowOut(ApiModel):
    enterprise_id: str
    enterprise_name: str
    town_id: str
    town_name: str
    branch_id: str
    branch_name: str
    production_kwh: float | None = Field(description="产污设施用电；null 为无数据")
    control_kwh: float | None = Field(description="治污设施用电；null 为无数据")
    main_kwh: float | None = Field(description="总进线用电；null 为无数据")
    days: int = Field(description="统计天数（当月截至今天）")
    days_with_data: int
    days_complete: int = Field(description="每个监测点都有数据的天数")


class MonthlyOut(ApiModel):
    month: str
    first_day: date
    last_day: date = Field(description="统计截止日（当月为今天）")
    rows: list[MonthlyRowOut]
    next_cursor: str | None = Field(None, description="下一页企业；null 为最后一页")


def _month(ctx: RequestContext, text: str) -> tuple[date, date, date]:
    year = int(text[:4])
    if year < 2000:  # before date(): year 0 is not a date at all
        raise errors.invalid("月份超出范围", "month")
    month = date(year, int(text[5:7]), 1)
    first, last = monthly_energy.month_days(month, ctx.now)  # a future month: InvalidInputError → 422
    return month, first, last


def _scope(ctx: RequestContext, f: MonthFilter) -> list[Enterprise]:
    county = ctx.caller.county_id
    return monthly_energy.enterprises_in_scope(
        ctx.store, county, ctx.visible_enterprise_ids(), town_id=f.town_id, branch_id=f.branch_id
    )


def _names(ctx: RequestContext) -> tuple[dict[str, str], dict[str, str]]:
    county = ctx.caller.county_id
    towns = {t.town_id: t.name for t in ctx.store.registry.list_towns(county)}
    branches = {b.branch_id: b.name for b in ctx.store.registry.list_branches(county)}
    return towns, branches


@routes.route(
    "GET",
    "/reports/monthly-energy",
    action="reports.monthly.read",
    summary="月度用电汇总（可见企业，按企业分页）",
    query=MonthlyQuery,
    response=MonthlyOut,
)
def monthly(ctx: RequestContext, query: MonthlyQuery) -> MonthlyOut:
    month, first, last = _month(ctx, query.month)
    page, cursor = page_slice(_scope(ctx, query), query)
    towns, branches = _names(ctx)
    rows = []
    for e in page:
        m = monthly_energy.month_energy(ctx.store, e, month, ctx.now)
        rows.append(
            MonthlyRowOut(
                enterprise_id=e.enterprise_id,
                enterprise_name=e.name,
                town_id=e.town_id,
                town_name=towns.get(e.town_id, e.town_id),
                branch_id=e.branch_id,
                branch_name=branches.get(e.branch_id, e.branch_id),
                production_kwh=m.production_kwh,
                control_kwh=m.control_kwh,
                main_kwh=m.main_kwh,
                days=m.days,
                days_with_data=m.days_with_data,
                days_complete=m.days_complete,
            )
        )
    return MonthlyOut(month=query.month, first_day=first, last_day=last, rows=rows, next_cursor=cursor)


@routes.route(
    "GET",
    "/reports/monthly-energy.xlsx",
    action="reports.monthly.read",
    summary="下载月度用电汇总（XLSX）",
    query=MonthFilter,
    response_media_type=XLSX,
)
def monthly_xlsx(ctx: RequestContext, query: MonthFilter) -> Response:
    month, _, _ = _month(ctx, query.month)
    rows = [monthly_energy.month_energy(ctx.store, e, month, ctx.now) for e in _scope(ctx, query)]
    towns, branches = _names(ctx)
    out = io.BytesIO()
    monthly_energy.write_xlsx(month, rows, towns, branches, out)
    name = f"月度用电汇总-{query.month}.xlsx"
    disposition = f"attachment; filename=\"monthly-energy-{query.month}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(
        body=out.getvalue(), status_code=200, headers={"Content-Type": XLSX, "Content-Disposition": disposition}
    )


PDF = "application/pdf"
XLSX_OR_PDF = "application/*"  # one route, two formats: the document names both by the wildcard (as photos do)


class MonthlyReportQuery(ApiModel):
    month: str = Field(pattern=MONTH, description="北京时间月份，如 2026-11")
    scope: str | None = Field(
        None,
        max_length=80,
        description="county、town:<镇标识> 或 branch:<分局标识>；默认本人范围（执法分局、镇街为本单位，其他为全县）",
    )
    format: Literal["xlsx", "pdf"] = Field("xlsx", description="xlsx 或 pdf")


def _report_scope(ctx: RequestContext, text: str | None) -> model.Scope:
    """The caller's own unit by default; a branch or town account may ask for its own unit only (any other is,
    for it, a unit that does not exist)."""
    caller = ctx.caller
    own = {Role.BRANCH: ("branch", caller.branch_id), Role.TOWN: ("town", caller.town_id)}.get(caller.role)
    if text is None:
        text = "county" if own is None else f"{own[0]}:{own[1]}"
    try:
        scope = model.parse_scope(text)
    except InvalidInputError as exc:
        raise errors.invalid(str(exc), "scope") from None
    if own is not None and (scope.kind.value, scope.unit_id) != own:
        raise errors.not_found("报表范围不存在", field="scope")
    return scope


@routes.route(
    "GET",
    "/reports/monthly",
    action="reports.monthly_report.read",
    summary="下载月度报告（XLSX 或 PDF；全县、镇街或执法分局）",
    query=MonthlyReportQuery,
    response_media_type=XLSX_OR_PDF,
)
def monthly_report(ctx: RequestContext, query: MonthlyReportQuery) -> Response:
    try:
        month = model.parse_month(query.month)
    except InvalidInputError as exc:
        raise errors.invalid(str(exc), "month") from None
    scope = _report_scope(ctx, query.scope)
    if model.month_bounds(month)[0] > ctx.now:
        raise errors.invalid("不能统计未来的月份", "month")
    report = build.build_monthly(ctx.store, ctx.caller.county_id, scope, month, ctx.now)  # unknown unit: 404
    out = io.BytesIO()
    if query.format == "pdf":
        from monitoring.reports.monthly.pdf import write_pdf  # matplotlib: imported on first use, not at cold start

        write_pdf(report, out)
    else:
        write_xlsx(report, out)
    name = f"{report.title}.{query.format}"
    ascii_name = f"monthly-{scope.text.replace(':', '-')}-{query.month}.{query.format}"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    media = PDF if query.format == "pdf" else XLSX
    return Response(
        body=out.getvalue(), status_code=200, headers={"Content-Type": media, "Content-Disposition": disposition}
    )
