"""The package's readable files: the rule and its thresholds in words, the response, the readings, notifications
and audit as CSV (UTF-8 with BOM, so Excel shows the Chinese), and the chart. Names, never internal ids."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from monitoring._time import CHINA
from monitoring.alarms.evidence_words import episode_in_words, quality_in_words
from monitoring.alarms.models import CAUSE_NAMES, STATE_NAMES, Location
from monitoring.charts import Curve, PowerChart, Threshold
from monitoring.evidence.collect import Evidence
from monitoring.evidence.provenance import FrameIndex, Source
from monitoring.notify.masking import mask, mask_phones
from monitoring.notify.models import CHANNEL_NAMES, STATUS_NAMES
from monitoring.registry.models import MonitoringPoint

SIDES = {"production": "产污", "control": "治污", "other": "其他"}
READING_COLUMNS = (
    "数据时间",
    "企业",
    "点位名称",
    "点位编码",
    "设施类别",
    "电参量",
    "数值",
    "终端MN",
    "帧序号",
    "报文数据时间",
    "因子编码",
    "报文原始值",
    "换算系数",
)


def when(value: datetime | None) -> str:
    """Beijing time, ISO 8601 with its +08:00 offset."""
    return "" if value is None else value.astimezone(CHINA).isoformat(timespec="seconds")


def point_label(point: MonitoringPoint) -> str:
    return f"{point.name}（{point.point_code}）"


def names(evidence: Evidence) -> dict[str, str]:
    """Internal id → the name a reader knows (used to rewrite the rules' sentences)."""
    out = {p.point_id: point_label(p) for p, _ in evidence.points}
    out |= {f.facility_id: f"{f.name}（{f.code}）" for f in evidence.facilities.values()}
    out |= {a.association_id: a.name for a in evidence.associations}
    if evidence.enterprise is not None:
        out[evidence.enterprise.enterprise_id] = evidence.enterprise.name
    return out


def readable(text: str, ids: Mapping[str, str]) -> str:
    for key in sorted(ids, key=len, reverse=True):  # longest first: one id may begin another
        text = text.replace(key, ids[key])
    return text


def person(evidence: Evidence, account_id: str) -> str:
    """「姓名（账号编号）」 for an account the platform knows; other text (a name typed in, "system") as it is."""
    name = evidence.people.get(account_id)
    return f"{name}（{account_id}）" if name else account_id


def branch(evidence: Evidence, branch_id: str) -> str:
    name = evidence.branch_names.get(branch_id)
    return f"{name}（{branch_id}）" if name else branch_id


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _where(location: Location | None) -> str:
    if location is None:
        return "未提供"
    accuracy = f"，精度约{location.accuracy_m:.0f}米" if location.accuracy_m is not None else ""
    return f"纬度{location.lat:.6f}，经度{location.lon:.6f}{accuracy}"


def enterprise_name(evidence: Evidence) -> str:
    return evidence.enterprise.name if evidence.enterprise else "（企业未登记）"


def rule_text(evidence: Evidence) -> str:
    alarm, ids = evidence.alarm, names(evidence)
    lines = [
        f"告警类型：{evidence.rule_name}",
        f"企业名称：{enterprise_name(evidence)}",
    ]
    if evidence.enterprise is not None and evidence.enterprise.credit_code:
        lines.append(f"统一社会信用代码：{evidence.enterprise.credit_code}")
    if evidence.associations:
        lines.append("治理线：" + "、".join(a.name for a in evidence.associations))
    lines += [
        f"告警产生时间（平台处理时间）：{when(alarm.created_at)}",
        f"当前状态：{STATE_NAMES.get(alarm.state, alarm.state.value)}",
        f"证据时间窗口：{when(evidence.start)} 至 {when(evidence.end)}",
        "",
        "一、涉及点位",
    ]
    for point, side in evidence.points:
        facility = evidence.facilities.get(point.facility_id)
        lines.append(
            f"  {point_label(point)}：{SIDES[side]}设施 {facility.name if facility else ''}，"
            f"终端MN {point.mn or '未绑定'}，通道 {point.channel or '单回路'}，"
            f"CT变比 {point.ct_ratio:g}，PT变比 {point.pt_ratio:g}"
        )
    lines += ["", "二、告警时段与判定依据"]
    for number, episode in enumerate(alarm.episodes, 1):
        lines.append(f"  时段{number}：")
        words = episode_in_words(episode)
        if episode.end is None and words:  # "至今" would be read as the reader's today
            words[0] = words[0].replace("至今仍在持续", f"至导出时（{when(evidence.exported_at)}）仍在持续")
        lines += [f"    {readable(s, ids)}" for s in words]
    live = alarm.live_episodes or alarm.episodes
    if live:
        quality = quality_in_words(max(live, key=lambda e: e.start).quality)
        if quality:
            lines += [
                "",
                "三、数据质量（最近一个告警时段，告警判定时所依据的时段内；“数据N条”为该时段内的分钟数据条数）",
            ] + [f"  {readable(s, ids)}" for s in quality]
        counts = [
            f"  {point_label(p)}：{len(evidence.readings.get(p.point_id, ()))}条分钟数据"
            f"（每条含{_quantities(evidence, p.point_id)}个电参量）"
            for p, _ in evidence.points
        ]
        lines += ["", "  readings.csv 收录整个证据时间窗口内的数据，比判定时段长，条数因此更多："] + counts
    params = [(a.name, a.params) for a in evidence.associations]
    if params:
        lines += ["", "四、治理线参数（登记值）"]
        for name, p in params:
            on = [
                f"产污开启阈值 {p.production_on_kw:g} kW"
                if p.production_on_kw is not None
                else "产污开启阈值 按额定功率/基线",
                f"治污开启阈值 {p.control_on_kw:g} kW"
                if p.control_on_kw is not None
                else "治污开启阈值 按额定功率/基线",
                f"低负荷比例 {p.low_load_ratio * 100:.0f}%",
                f"确认时长 {p.confirm_s // 60} 分钟",
            ]
            lines.append(f"  {name}：" + "，".join(on))
    return "\n".join(lines) + "\n"


def _quantities(evidence: Evidence, point_id: str) -> str:
    sizes = sorted({len(r.values) for r in evidence.readings.get(point_id, ())})
    return "0" if not sizes else str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}–{sizes[-1]}"


def response_text(evidence: Evidence, photo_names: Mapping[str, str]) -> str:
    alarm = evidence.alarm
    lines = ["一、企业响应"]
    if alarm.response is None:
        lines.append("  企业未响应。")
    else:
        r = alarm.response
        lines += [
            f"  响应时间：{when(r.at)}",
            f"  响应人：{person(evidence, r.by)}",
            f"  原因：{CAUSE_NAMES.get(r.cause, r.cause.value)}",
            f"  说明：{r.text}",
            f"  位置：{_where(r.location)}",
            "  照片：" + ("、".join(photo_names.get(p, f"（照片缺失：{p}）") for p in r.photos) or "无"),
        ]
    lines += ["", "二、派发与核查"]
    if alarm.dispatched_to:
        lines.append(f"  派发执法分局：{branch(evidence, alarm.dispatched_to)}，时间：{when(alarm.dispatched_at)}")
    if alarm.verification is not None:
        v = alarm.verification
        lines += [
            f"  现场核查时间：{when(v.at)}，核查人：{person(evidence, v.by)}",
            f"  核查结果：{v.result}",
            f"  位置：{_where(v.location)}",
            "  照片：" + ("、".join(photo_names.get(p, f"（照片缺失：{p}）") for p in v.photos) or "无"),
        ]
    elif not alarm.dispatched_to:
        lines.append("  尚未派发。")
    if alarm.closed_at is not None:
        lines += ["", f"三、办结：{when(alarm.closed_at)}  {alarm.close_note}"]
    return "\n".join(lines) + "\n"


def readings_csv(evidence: Evidence) -> tuple[bytes, int, int]:
    """The CSV, how many values it has, and how many of them were traced to a frame of the package."""
    indexes = {c.mn: FrameIndex([(str(f.seq), f.frame) for f in c.frames], c.profile) for c in evidence.chains
               if c.profile is not None}  # fmt: skip
    if evidence.delivered is not None:
        indexes |= {c.mn: FrameIndex([(f.frame_id, f.frame) for f in c.window], c.profile)
                    for c in evidence.delivered.chains if c.profile is not None}  # fmt: skip
    rows: list[list[str]] = []
    traced = 0
    firm = enterprise_name(evidence)
    for point, side in evidence.points:
        index = indexes.get(point.mn or "")
        for reading in evidence.readings.get(point.point_id, ()):
            sources: Mapping[str, Source] = index.sources(reading, point) if index is not None else {}
            for quantity in sorted(reading.values):
                s = sources.get(quantity)
                traced += s is not None
                rows.append(
                    [
                        when(reading.data_time),
                        firm,
                        point.name,
                        point.point_code,
                        SIDES[side],
                        quantity,
                        repr(reading.values[quantity]),
                        point.mn or "",
                        s.seq if s else "",
                        s.data_time_raw if s else "",
                        s.code if s else "",
                        s.raw if s else "",
                        repr(s.factor) if s and s.factor is not None else "",
                    ]
                )
    return _csv(READING_COLUMNS, rows), len(rows), traced


def notifications_csv(evidence: Evidence) -> bytes:
    header = ("创建时间", "渠道", "接收人", "接收对象", "地址", "内容", "状态", "发送时间", "送达时间", "失败原因")
    rows = [
        [
            when(n.created_at),
            CHANNEL_NAMES.get(n.kind, n.kind.value),
            n.recipient_name,
            n.audience,
            mask(n.address),
            mask_phones(n.text),
            STATUS_NAMES.get(n.status, n.status.value),
            when(n.sent_at),
            when(n.delivered_at),
            n.error,
        ]
        for n in sorted(evidence.notifications, key=lambda n: (n.created_at, n.key))
    ]
    return _csv(header, rows)


def audit_csv(evidence: Evidence) -> bytes:
    header = ("时间", "操作人", "角色", "来源", "操作", "原状态", "新状态", "详情")
    rows: list[list[str]] = [
        [
            when(e.at),
            person(evidence, e.actor),
            e.role,
            e.source,
            e.action,
            e.from_state or "",
            e.to_state or "",
            _detail(e.detail, evidence),
        ]
        for e in evidence.workflow
    ]
    rows += [
        [
            when(r.at),
            person(evidence, r.actor_id),
            r.actor_role,
            f"{r.channel} {r.source_ip}".strip(),
            r.action,
            "",
            "",
            _detail(r.detail, evidence),
        ]
        for r in evidence.trail
    ]
    rows.sort(key=lambda row: row[0])
    return _csv(header, rows)


def _detail(detail: Mapping[str, Any], evidence: Evidence) -> str:
    def shown(key: str, value: Any) -> Any:
        return branch(evidence, value) if key == "branch" and isinstance(value, str) else value

    return "；".join(f"{k}={shown(k, v)}" for k, v in sorted(detail.items()))


def chart(evidence: Evidence) -> PowerChart:
    ids = names(evidence)
    curves: dict[str, list[Curve]] = {"production": [], "control": []}
    for point, side in evidence.points:
        samples = [(r.data_time, r.values["p"]) for r in evidence.readings.get(point.point_id, ()) if "p" in r.values]
        if side in curves:
            curves[side].append(Curve(point_label(point), samples))
    thresholds: list[Threshold] = []
    for a in evidence.associations:
        if a.params.production_on_kw is not None:
            thresholds.append(
                Threshold(f"产污开启阈值 {a.params.production_on_kw:g} kW", a.params.production_on_kw, True)
            )
        if a.params.control_on_kw is not None:
            thresholds.append(Threshold(f"治污开启阈值 {a.params.control_on_kw:g} kW", a.params.control_on_kw, False))
    live = evidence.alarm.live_episodes or evidence.alarm.episodes
    last = max(live, key=lambda e: e.start)
    used = last.evidence.get("thresholds")
    if isinstance(used, Mapping) and "control_point" in last.evidence:
        for key, label in (("p_on_kw", "治污运行判定功率"), ("p_off_kw", "治污停止判定功率")):
            if isinstance(used.get(key), int | float):
                thresholds.append(Threshold(f"{label} {float(used[key]):g} kW", float(used[key]), False))
    first = min(e.start for e in live)
    return PowerChart(
        title=f"{enterprise_name(evidence)} 产污与治污设施用电功率",
        subtitle=readable(f"{evidence.rule_name}；" + "、".join(a.name for a in evidence.associations), ids).rstrip(
            "；"
        ),
        start=evidence.start,
        end=evidence.end,
        production=curves["production"],
        control=curves["control"],
        episode_start=first,
        episode_end=None if any(e.end is None for e in live) else max(e.end for e in live if e.end is not None),
        thresholds=thresholds,
    )
