"""Read-only CLI commands: tables of enterprises, points and terminals, a point's latest readings, chain checks,
alarms and an enterprise's recent minute readings (tables, or the rows as JSON)."""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from monitoring._time import CHINA
from monitoring.alarms.models import STATE_NAMES, AlarmState
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.evaluation.catalogue import RULES
from monitoring.readings.models import QUANTITY_INFO, ReadingKind
from monitoring.registry.models import InstallStatus
from monitoring.storage.ports import Store

View = Callable[[argparse.Namespace, Store, TextIO], int]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    if not rows:
        return
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out
        )


def _local(value: object) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else "-"


def enterprises_list(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    towns = {t.town_id: t.name for t in store.registry.list_towns(args.county_id)}
    branches = {b.branch_id: b.name for b in store.registry.list_branches(args.county_id)}
    town_id = next((k for k, v in towns.items() if v == args.town), None) if args.town else None
    branch_id = next((k for k, v in branches.items() if v == args.branch), None) if args.branch else None
    if (args.town and town_id is None) or (args.branch and branch_id is None):
        print("没有找到该镇（街道）或执法分局", file=out)
        return 1
    found = store.registry.list_enterprises(args.county_id, town_id=town_id, branch_id=branch_id)
    rows = [["序号", "企业名称", "镇（街道）", "类别", "执法分局", "安装状态", "标识"]]
    for e in found:
        status = e.install_status.label + (f"（豁免：{e.exemption.reason.label}）" if e.exemption else "")
        seq = str(e.list_seq) if e.list_seq is not None else "-"
        rows.append([seq, e.name, towns.get(e.town_id, e.town_id), e.category.label, branches.get(e.branch_id, "-")])
        rows[-1] += [status, e.enterprise_id]
    _table(rows, out)
    print(f"共 {len(found)} 家企业", file=out)
    return 0


def enterprises_show(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    """One enterprise's archive: profile, contacts, facilities, points, treatment lines, terminals."""
    e = store.registry.find_enterprise(args.enterprise_id)
    if e is None:
        print(f"企业 {args.enterprise_id} 不存在", file=out)
        return 1
    town = store.registry.get_town(e.town_id).name
    branch = store.registry.get_branch(e.branch_id).name
    print(f"{e.name}（{e.category.label}）  {town}  {branch}  安装状态：{e.install_status.label}", file=out)
    print(f"信用代码 {e.credit_code or '-'}  许可证 {e.permit_no or '-'}  行业 {e.industry or '-'}", end="", file=out)
    print(f"  绩效分级 {e.performance_grade or '-'}", file=out)
    if e.exemption:
        x = e.exemption
        print(f"豁免：{x.reason.label}（{x.approved_by} 于 {_local(x.approved_at)} 批准）{x.note}", file=out)
    for c in e.contacts:
        print(
            f"联系人 {c.name}（{c.role.label}） {c.phone or '-'}  微信{'已绑定' if c.wechat_openid else '未绑定'}",
            file=out,
        )
    facilities = store.registry.list_facilities(e.enterprise_id)
    by_id = {f.facility_id: f for f in facilities}
    rows = [["设施编码", "名称", "类型", "工艺", "额定功率(kW)"]]
    rows += [
        [f.code, f.name, f.kind.label, f.process or "-", f"{f.rated_power_kw:g}" if f.rated_power_kw else "-"]
        for f in facilities
    ]
    _table(rows, out)
    points = store.registry.list_points(e.enterprise_id)
    rows = [["点位编码", "名称", "设施", "终端MN", "通道", "状态"]]
    for p in points:
        fac = by_id.get(p.facility_id)
        rows.append([p.point_code, p.name, fac.code if fac else "-", p.mn or "-", p.channel or "-", p.status.label])
    _table(rows, out)
    for line in store.registry.list_associations(e.enterprise_id):
        control = by_id.get(line.control_facility_id)
        production = "、".join(by_id[f].code if f in by_id else f for f in line.production_facility_ids)
        print(f"治理线 {line.name}：{control.code if control else '-'} ← {production}", end="", file=out)
        lead, lag = line.params.start_lead_s, line.params.stop_lag_s
        lead_text = "默认" if lead is None else f"{lead}s"
        lag_text = "默认" if lag is None else f"{lag}s"
        print(f"（启动提前 {lead_text}，停止滞后 {lag_text}）", file=out)
    print(f"设施 {len(facilities)} 个，点位 {len(points)} 个", file=out)
    return 0


def enterprises_progress(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    """Installation progress per town (what a town office reports against the campaign deadlines)."""
    statuses = sorted(InstallStatus, key=lambda s: s.rank)
    towns = sorted(store.registry.list_towns(args.county_id), key=lambda t: t.name)
    rows = [["镇（街道）", "企业数", *(s.label for s in statuses), "豁免"]]
    totals = [0] * (len(statuses) + 2)
    for town in towns:
        found = store.registry.list_enterprises(args.county_id, town_id=town.town_id)
        counts = [len(found)] + [sum(1 for e in found if e.install_status is s) for s in statuses]
        counts.append(sum(1 for e in found if e.exemption is not None))
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        rows.append([town.name, *(str(c) for c in counts)])
    rows.append(["合计", *(str(c) for c in totals)])
    _table(rows, out)
    return 0


def points_list(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    if args.enterprise:
        enterprises = [store.registry.get_enterprise(args.enterprise)]
    else:
        enterprises = store.registry.list_enterprises(args.county_id)
    rows = [["点位标识", "点位编码", "名称", "角色", "终端MN", "通道", "CT", "状态", "企业"]]
    for e in enterprises:
        for p in store.registry.list_points(e.enterprise_id):
            rows.append([p.point_id, p.point_code, p.name, p.role.label, p.mn or "-", p.channel or "-"])
            rows[-1] += [f"{p.ct_ratio:g}", p.status.label, e.name]
    _table(rows, out)
    print(f"共 {len(rows) - 1} 个点位", file=out)
    return 0


def points_show(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    try:
        point = store.registry.get_point(args.point_id)
    except NotFoundError:
        print(f"点位 {args.point_id} 不存在", file=out)
        return 1
    enterprise = store.registry.get_enterprise(point.enterprise_id)
    facility = store.registry.get_facility(point.facility_id)
    print(
        f"点位 {point.point_id}  编码 {point.point_code}  {point.name}（{point.role.label}，{point.status.label}）",
        file=out,
    )
    print(f"企业 {enterprise.name}；设施 {facility.code} {facility.name}", file=out)
    print(
        f"终端 {point.mn or '未绑定'}  通道 {point.channel or '-'}  CT {point.ct_ratio:g}  PT {point.pt_ratio:g}",
        file=out,
    )
    latest = store.readings.latest_all_kinds(point.point_id)
    if not latest:
        print("暂无数据", file=out)
        return 0
    for kind, reading in latest.items():
        print(f"最新{kind.value}数据  数据时间 {_local(reading.data_time)}（北京时间）", file=out)
        rows = [["量", "名称", "值", "单位", "标记"]]
        for name, value in sorted(reading.values.items()):
            unit, meaning = QUANTITY_INFO[name]
            rows.append([name, meaning, f"{value:g}", unit or "-", reading.flags.get(name, "")])
        for code, item in sorted(reading.raw.items()):
            rows.append([code, "(未映射)", item.get("Rtd", "") or str(dict(item)), "-", item.get("Flag", "")])
        _table(rows, out)
    return 0


def terminals_list(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    rows = [["MN", "企业", "协议", "型号", "上报间隔(分钟)", "在线", "最后报文（北京时间）", "时钟偏差(s)", "绑定点位"]]
    for t in store.registry.list_terminals(args.county_id):
        owner = store.registry.find_enterprise(t.enterprise_id) if t.enterprise_id else None
        skew = f"{t.clock_skew_s:.0f}" if t.clock_skew_s is not None else "-"
        bound = str(len(store.registry.points_for_mn(t.mn)))
        interval = str(t.minute_interval_min or 1)  # none on file: the rules assume one-minute data
        rows.append([t.mn, owner.name if owner else "-", t.profile, t.model or "-", interval])
        rows[-1] += ["是" if t.online else "否", _local(t.last_frame_at), skew, bound]
    _table(rows, out)
    print(f"共 {len(rows) - 1} 台终端", file=out)
    return 0


def archive_verify(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    result = store.archive.verify(args.mn)
    if result.ok:
        print(f"终端 {args.mn} 存档完整：{result.checked} 条报文哈希链校验通过", file=out)
        return 0
    print(f"终端 {args.mn} 存档校验失败：第 {result.first_broken_seq} 条（{result.reason}）", file=out)
    return 3


OPEN = (AlarmState.PENDING, AlarmState.RESPONDED, AlarmState.DISPATCHED, AlarmState.VERIFIED)


def _minute(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def alarm_rows(
    store: Store, *, enterprise_id: str | None = None, all_states: bool = False, limit: int
) -> list[dict[str, Any]]:
    """Alarms newest first, with the enterprise, town and rule names a person reads."""
    found = store.alarms.list(enterprise_id=enterprise_id, states=None if all_states else list(OPEN), limit=limit)
    towns = {t.town_id: t.name for c in store.registry.list_counties() for t in store.registry.list_towns(c.county_id)}
    names: dict[str, tuple[str, str]] = {}
    rows = []
    for a in found:
        if a.enterprise_id not in names:
            e = store.registry.find_enterprise(a.enterprise_id)
            names[a.enterprise_id] = (e.name, towns.get(e.town_id, e.town_id)) if e else (a.enterprise_id, "-")
        episode = a.episodes[0] if a.episodes else None
        rows.append(
            {
                "id": a.id,
                "rule": a.rule,
                "rule_name": RULES[a.rule].name if a.rule in RULES else a.rule,
                "state": a.state.value,
                "state_name": STATE_NAMES[a.state],
                "severity": a.severity,
                "enterprise": names[a.enterprise_id][0],
                "town": names[a.enterprise_id][1],
                "points": ",".join(a.point_ids),
                "subject": a.subject,
                "start": _minute(episode.start if episode else None),
                "end": _minute(episode.end if episode else None),
                "raised": _minute(a.created_at),
            }
        )
    return rows


def readings_rows(store: Store, enterprise_id: str, *, minutes: int, now: datetime) -> list[dict[str, Any]]:
    """The last `minutes` of minute data of every point of an enterprise."""
    rows = []
    for p in store.registry.list_points(enterprise_id):
        for r in store.readings.readings(p.point_id, ReadingKind.MINUTE, now - timedelta(minutes=minutes), now):
            v = r.values
            rows.append(
                {
                    "point": p.point_id,
                    "role": p.role.value,
                    "time": _minute(r.data_time),
                    "p_kw": v.get("p"),
                    "ia": v.get("ia"),
                    "ua": v.get("ua"),
                    "pf": v.get("pf"),
                    "ep_fwd": v.get("ep_fwd"),
                }
            )
    return rows


def _at_least_one(args: argparse.Namespace, option: str) -> int:
    value: int = getattr(args, option)
    if value < 1:
        raise InvalidInputError(f"--{option} 至少为 1，实为 {value}")
    return value


def _rows_out(rows: list[dict[str, Any]], columns: dict[str, str], args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1), file=out)
        return
    _table([list(columns.values())] + [["-" if r[k] is None else str(r[k]) for k in columns] for r in rows], out)
    print(f"共 {len(rows)} 条", file=out)


ALARM_COLUMNS = {"raised": "报警时间", "rule_name": "规则", "state_name": "状态", "town": "镇（街道）"}
ALARM_COLUMNS |= {"enterprise": "企业", "points": "点位", "start": "开始", "end": "结束"}


def alarms_list(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    limit = _at_least_one(args, "limit")
    rows = alarm_rows(store, enterprise_id=args.enterprise, all_states=args.all, limit=limit)
    _rows_out(rows, ALARM_COLUMNS, args, out)
    return 0


READING_COLUMNS = {"time": "时间", "point": "点位", "role": "角色", "p_kw": "有功功率(kW)", "ua": "电压ua(V)"}
READING_COLUMNS |= {"ia": "电流ia(A)", "pf": "功率因数", "ep_fwd": "正向有功电能(kWh)"}


def readings_list(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    """Up to --now (platform time; default the wall clock), so a simulated or replayed day reads as it ran."""
    minutes = _at_least_one(args, "minutes")
    if store.registry.find_enterprise(args.enterprise) is None:
        print(f"企业 {args.enterprise} 不存在", file=out)
        return 1
    now = (args.now or datetime.now(UTC)).astimezone(UTC)
    _rows_out(readings_rows(store, args.enterprise, minutes=minutes, now=now), READING_COLUMNS, args, out)
    return 0


VIEWS: dict[tuple[str, str], View] = {
    ("enterprises", "list"): enterprises_list,
    ("enterprises", "progress"): enterprises_progress,
    ("enterprises", "show"): enterprises_show,
    ("points", "list"): points_list,
    ("points", "show"): points_show,
    ("terminals", "list"): terminals_list,
    ("archive", "verify"): archive_verify,
    ("readings", "list"): readings_list,
    ("alarms", "list"): alarms_list,
}
