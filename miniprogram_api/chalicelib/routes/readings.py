"""Readings: a point's latest values and its series, an enterprise's daily energy and its status timeline;
thin routes over `monitoring.views` (docs/api.md, docs/monitoring.md §9)."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime
from monitoring.evaluation.config import RuleConfig, load_defaults
from monitoring.readings.models import QUANTITY_INFO, Reading, ReadingKind
from monitoring.views import energy, series, timeline
from monitoring.views import status as status_view
from monitoring.views.series_cache import SeriesCache

routes = ApiBlueprint("readings")
ENTERPRISE_STATE_NAMES = {**status_view.STATUS_NAMES, timeline.NO_DATA: "无数据"}
LINE_STATE_NAMES = {timeline.RUNNING: "运行", timeline.STOPPED: "停运", timeline.NO_DATA: "无数据"}
QuantityName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,15}$")]  # one of QUANTITIES


class QuantityInfo(ApiModel):
    unit: str
    name: str


class ReadingItem(ApiModel):
    kind: Literal["realtime", "minute", "hour", "day"]
    data_time: BeijingTime
    received_at: BeijingTime | None
    values: dict[str, float]
    flags: dict[str, str] = Field(description="非 N 的数据标记（该值存疑）")


class LatestOut(ApiModel):
    point_id: str
    enterprise_id: str
    readings: list[ReadingItem]
    quantities: dict[str, QuantityInfo]


class SeriesQuery(ApiModel):
    start: BeijingTime
    end: BeijingTime
    quantity: list[QuantityName] = Field(default_factory=lambda: ["p"], max_length=series.MAX_QUANTITIES)


class SeriesRowItem(ApiModel):
    at: BeijingTime
    values: dict[str, float] = Field(description="分钟数据为原值；小时桶为平均值")
    min: dict[str, float] | None = None
    max: dict[str, float] | None = None
    samples: int
    energy_kwh: float | None = None
    flags: dict[str, str] | None = None


class Span(ApiModel):
    start: BeijingTime
    end: BeijingTime


class SeriesOut(ApiModel):
    point_id: str
    start: BeijingTime
    end: BeijingTime
    resolution: Literal["minute", "hour"] = Field(description="24 小时以内为分钟数据，更长为小时汇总")
    quantities: dict[str, QuantityInfo]
    rows: list[SeriesRowItem]
    gaps: list[Span] = Field(description="无数据的时段")


class EnergyQuery(ApiModel):
    days: int = Field(30, ge=1, le=energy.MAX_DAYS)


class DayEnergyItem(ApiModel):
    day: date
    production_kwh: float | None
    control_kwh: float | None
    main_kwh: float | None
    complete: bool
    partial_day: bool


class EnergyOut(ApiModel):
    enterprise_id: str
    days: list[DayEnergyItem]


class TimelineQuery(ApiModel):
    day: date | None = Field(None, description="北京时间日期，缺省为今天")


class SegmentItem(ApiModel):
    start: BeijingTime
    end: BeijingTime
    state: str
    state_name: str


class LineTimelineItem(ApiModel):
    association_id: str
    name: str
    production: list[SegmentItem]
    control: list[SegmentItem]


class TimelineOut(ApiModel):
    enterprise_id: str
    day: date
    start: BeijingTime
    end: BeijingTime
    enterprise: list[SegmentItem]
    lines: list[LineTimelineItem]


def _quantities(names: Any) -> dict[str, QuantityInfo]:
    return {q: QuantityInfo(unit=QUANTITY_INFO[q][0], name=QUANTITY_INFO[q][1]) for q in names if q in QUANTITY_INFO}


def _reading(r: Reading) -> ReadingItem:
    return ReadingItem(
        kind=r.kind.value,
        data_time=r.data_time,
        received_at=r.received_at,
        values=dict(r.values),
        flags={q: f for q, f in r.flags.items() if f != "N"},
    )


def _segments(items: Any, names: dict[str, str]) -> list[SegmentItem]:
    return [SegmentItem(start=s.start, end=s.end, state=s.state, state_name=names.get(s.state, s.state)) for s in items]


@lru_cache(maxsize=4)
def _rule_config(defaults: str, overrides: str) -> RuleConfig:
    """The engine's parameters as the platform loads them (settings `rules_defaults`, `rules_overrides`)."""
    config = load_defaults(Path(defaults) if defaults else None)
    if overrides:
        config = config.with_overrides(json.loads(Path(overrides).read_text(encoding="utf-8")))
    return config


@routes.route(
    "GET",
    "/enterprises/{enterprise_id}/energy/daily",
    action="readings.read",
    summary="企业每日用电量（产污/治污/总进线）",
    query=EnergyQuery,
    response=EnergyOut,
)
def daily_energy(ctx: RequestContext, enterprise_id: str, query: EnergyQuery) -> EnergyOut:
    days = energy.daily_energy(
        ctx.store, enterprise_id, days=query.days, visible=ctx.visible_enterprise_ids(), now=ctx.now
    )
    return EnergyOut(
        enterprise_id=enterprise_id,
        days=[
            DayEnergyItem(
                day=d.day,
                production_kwh=d.production_kwh,
                control_kwh=d.control_kwh,
                main_kwh=d.main_kwh,
                complete=d.complete,
                partial_day=d.partial_day,
            )
            for d in days
        ],
    )


@routes.route(
    "GET",
    "/enterprises/{enterprise_id}/timeline",
    action="readings.read",
    summary="企业一天的运行状态时间线",
    query=TimelineQuery,
    response=TimelineOut,
)
def enterprise_timeline(ctx: RequestContext, enterprise_id: str, query: TimelineQuery) -> TimelineOut:
    tl = timeline.enterprise_timeline(
        ctx.store,
        enterprise_id,
        query.day,
        config=_rule_config(ctx.services.settings.rules_defaults, ctx.services.settings.rules_overrides),
        visible=ctx.visible_enterprise_ids(),
        now=ctx.now,
    )
    return TimelineOut(
        enterprise_id=tl.enterprise_id,
        day=tl.day,
        start=tl.start,
        end=tl.end,
        enterprise=_segments(tl.enterprise, ENTERPRISE_STATE_NAMES),
        lines=[
            LineTimelineItem(
                association_id=line.association_id,
                name=line.name,
                production=_segments(line.production, LINE_STATE_NAMES),
                control=_segments(line.control, LINE_STATE_NAMES),
            )
            for line in tl.lines
        ],
    )


@routes.route(
    "GET", "/points/{point_id}/latest", action="readings.read", summary="点位最新数据（各类数据）", response=LatestOut
)
def point_latest(ctx: RequestContext, point_id: str) -> LatestOut:
    point, found = series.latest(ctx.store, point_id, visible=ctx.visible_enterprise_ids())
    readings = [_reading(found[k]) for k in ReadingKind if k in found]
    names = sorted({q for r in readings for q in r.values})
    return LatestOut(
        point_id=point.point_id, enterprise_id=point.enterprise_id, readings=readings, quantities=_quantities(names)
    )


@routes.route(
    "GET",
    "/points/{point_id}/series",
    action="readings.read",
    summary="点位曲线（24 小时内分钟数据，更长为小时汇总，最长 31 天）",
    query=SeriesQuery,
    response=SeriesOut,
)
def point_series(ctx: RequestContext, point_id: str, query: SeriesQuery) -> SeriesOut:
    cache: SeriesCache[series.SeriesRow] = ctx.services.extras.setdefault("series_cache", SeriesCache())
    found = series.point_series(
        ctx.store,
        point_id,
        query.start,
        query.end,
        quantities=query.quantity,
        visible=ctx.visible_enterprise_ids(),
        now=ctx.now,
        cache=cache,
    )
    return SeriesOut(
        point_id=found.point.point_id,
        start=found.start,
        end=found.end,
        resolution=found.resolution,  # type: ignore[arg-type]
        quantities=_quantities(found.quantities),
        rows=[
            SeriesRowItem(
                at=r.at,
                values=dict(r.values),
                min=None if r.minimum is None else dict(r.minimum),
                max=None if r.maximum is None else dict(r.maximum),
                samples=r.samples,
                energy_kwh=r.energy_kwh,
                flags=None if r.flags is None else dict(r.flags),
            )
            for r in found.rows
        ],
        gaps=[Span(start=a, end=b) for a, b in found.gaps],
    )
