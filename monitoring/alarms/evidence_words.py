"""An alarm episode's evidence and data quality told in Chinese sentences, from the mappings each rule stores.

The keys are those written by monitoring/rules (docs/rules.md §2); a key this module does not know is still
shown as "key：value", so new evidence is never hidden. Point and line ids are shown by name when given `names`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from monitoring._time import CHINA
from monitoring.alarms.models import Episode

_SCOPES = {"site": "全厂停电（总进线同时失电）", "circuit": "总进线有电而该回路失电（疑似人为断电）"}
_KNOWN = frozenset(
    {
        "readings",
        "thresholds",
        "association",
        "control_point",
        "production_points",
        "point",
        "points",
        "terminal",
        "kind",
        "late_min",
        "control_after_production_min",
        "production_transition_at",
        "control_transition_at",
        "violations",
        "alert",
        "level",
        "scope",
        "soe",
        "last_reading_before",
        "day",
        "expected",
        "received_good",
        "completeness",
        "max_ahead_s",
        "before",
        "after",
        "event",
        "halt_order",
        "order_start",
        "fault_report",
        "fault_start",
        "control_points",
        "main_points",
        "suppressions_nearby",
        "nominal_v",
        "rated_a",
        "days",
    }
)
_LEVELS = {"yellow": "黄色", "orange": "橙色", "red": "红色"}


def local(value: Any) -> str:
    """An ISO time as Beijing wall-clock minutes; anything else as given."""
    if isinstance(value, datetime):
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


Namer = Callable[[Any], str]


def _names(names: Mapping[str, str] | None) -> Namer:
    known = names or {}
    return lambda value: known.get(str(value), str(value))


def _joined(n: Namer, values: Sequence[Any] | Any) -> str:
    return "、".join(n(v) for v in values) if isinstance(values, list | tuple) else n(values)


def _violation(v: Mapping[str, Any], n: Namer) -> str:
    kind = v.get("kind")
    if kind == "stop_point_running":
        return f"应停产线{n(v.get('point'))}自{local(v.get('from'))}起运行{v.get('run_minutes')}分钟"
    if kind == "staggered_hours":
        hours = "、".join(f"{h}时" for h in v.get("local_hours", ()))
        return f"错峰时段（{hours}）产线{n(v.get('point'))}运行{v.get('run_minutes')}分钟"
    if kind in ("energy_over_cap", "energy_over_cap_continuing"):
        when = f"，{local(v['certain_at'])}起确定超限" if v.get("certain_at") else "（上一时段超限的延续）"
        return (
            f"{local(v.get('interval_start'))}起的时段生产用电{v.get('actual_kwh')}kWh，"
            f"超过限值{v.get('cap_kwh')}kWh{when}"
        )
    return str(dict(v))


def _order(ev: Mapping[str, Any], n: Namer) -> list[str]:
    cp, lag = n(ev.get("control_point")), ev.get("control_after_production_min")
    if ev.get("kind") == "start_late":
        return [
            f"产污设施于{local(ev.get('production_transition_at'))}启动，治污设施（{cp}）"
            f"于{local(ev.get('control_transition_at'))}才启动，晚{ev.get('late_min', lag)}分钟。"
        ]
    if ev.get("kind") == "stop_early":
        return [
            f"治污设施（{cp}）于{local(ev.get('control_transition_at'))}停止，"
            f"早于产污设施停止（{local(ev.get('production_transition_at'))}）{abs(int(lag or 0))}分钟。"
        ]
    return []


def _facts(ev: Mapping[str, Any], n: Namer) -> list[str]:
    out: list[str] = []
    if "association" in ev:
        prod = _joined(n, ev.get("production_points", ())) or "产污点位"
        cp = n(ev["control_point"]) if ev.get("control_point") else ""
        out.append(f"产治关联“{n(ev['association'])}”：治污点位{cp}，产污点位{prod}。")
    out += _order(ev, n)
    if "terminal" in ev:
        out.append(f"终端{ev['terminal']}。")
    if ev.get("last_reading_before"):
        out.append(f"中断前最后一条数据：{local(ev['last_reading_before'])}。")
    if "scope" in ev:
        out.append(f"掉电范围：{_SCOPES.get(ev['scope'], '无总进线计量，无法判定范围')}。")
    if ev.get("soe"):
        out.append("终端上报了掉电事件（SOE）。")
    if "completeness" in ev:
        out.append(
            f"{ev.get('day', '')}应收{ev.get('expected')}条，收到有效数据{ev.get('received_good')}条，"
            f"完整率{float(ev['completeness']) * 100:.1f}%。"
        )
    if "max_ahead_s" in ev:
        out.append(f"终端时间超前到达时间最多{ev['max_ahead_s']}秒。")
    if "before" in ev and "after" in ev:
        b, a = ev["before"], ev["after"]
        out.append(
            f"电能示值由{b.get('energy')}（{local(b.get('at'))}）降为{a.get('energy')}（{local(a.get('at'))}）。"
        )
    if isinstance(ev.get("event"), Mapping):
        out.append(f"终端事件{ev['event'].get('kind')}，时间{local(ev['event'].get('at'))}。")
    if "alert" in ev:
        out.append(f"应急预警{ev['alert']}（{_LEVELS.get(str(ev.get('level')), ev.get('level'))}）期间：")
        out += [f"{_violation(v, n)}。" for v in ev.get("violations", ())]
    if "halt_order" in ev:
        out.append(f"停产整治令{ev['halt_order']}自{local(ev.get('order_start'))}起生效，期间恢复生产。")
    if "fault_report" in ev:
        pts = _joined(n, ev.get("control_points", ()))
        out.append(
            f"故障申报{ev['fault_report']}（{local(ev.get('fault_start'))}起，治污点位{pts}）未恢复，产污设施仍在生产。"
        )
    if ev.get("main_points"):
        out.append(f"总进线{_joined(n, ev['main_points'])}同时带载运行。")
    if ev.get("suppressions_nearby"):
        out.append(f"相关报备：{'、'.join(ev['suppressions_nearby'])}。")
    for key in sorted(set(ev) - _KNOWN):
        out.append(f"{key}：{ev[key]}")
    return out


_THRESHOLD_WORDS: dict[str, Callable[[Any], str]] = {
    "min_duration_min": lambda v: f"持续{v}分钟以上",
    "p_on_kw": lambda v: f"运行判定功率{v}kW",
    "p_off_kw": lambda v: f"停止判定功率{v}kW",
    "baseline_share": lambda v: f"低于基线的{float(v) * 100:.0f}%",
    "rated_share": lambda v: f"无基线时低于额定功率的{float(v) * 100:.0f}%",
    "share": lambda v: f"额定电压的{float(v) * 100:.0f}%",
    "interval_multiple": lambda v: f"超过{v}个上报间隔无数据",
    "expected_interval_s": lambda v: f"上报间隔{v}秒",
    "completeness_min": lambda v: f"完整率下限{float(v) * 100:.0f}%",
    "max_ahead_s": lambda v: f"时间超前上限{v}秒",
    "min_hours": lambda v: f"恒定{v}小时以上",
    "limit_kw": lambda v: f"负功率限值{v}kW",
    "stop_run_min": lambda v: f"应停产线连续运行{v}分钟计违规",
    "energy_tolerance": lambda v: f"用电量容差{float(v) * 100:.0f}%",
    "interval_min": lambda v: f"评估时段{v}分钟",
}


def thresholds_in_words(thresholds: Mapping[str, Any]) -> list[str]:
    """The thresholds the rule used, each as a short phrase (unknown ones as "name=value")."""
    out: list[str] = []
    for key, value in thresholds.items():
        if isinstance(value, Mapping):
            continue  # per-hour limits and the like stay in the structured thresholds
        words = _THRESHOLD_WORDS.get(key)
        out.append(words(value) if words else f"{key}={value}")
    return out


def quality_in_words(quality: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for pid, q in sorted(quality.items()):
        if not isinstance(q, Mapping):
            continue
        share = float(q.get("known_share", 0.0)) * 100
        bad = f"，其中异常标记{q['bad_flags']}条" if q.get("bad_flags") else ""
        out.append(f"点位{pid}：有效状态覆盖{share:.0f}%的分钟，数据{q.get('samples', 0)}条{bad}。")
    return out


def episode_in_words(episode: Episode, names: Mapping[str, str] | None = None) -> list[str]:
    """The episode as sentences: when, what the evidence shows, the thresholds used; ids of points, lines and
    facilities named in `names` (id → name) are shown by their names."""
    end = "至今仍在持续" if episode.end is None else f"至{local(episode.end)}"
    head = (
        f"{local(episode.start)}起，{end}" + ("（已撤销：补传数据表明条件未成立）" if episode.retracted else "") + "。"
    )
    out = [head, *_facts(episode.evidence, _names(names))]
    thresholds = episode.evidence.get("thresholds")
    if isinstance(thresholds, Mapping) and thresholds:
        out.append("判定条件：" + "，".join(thresholds_in_words(thresholds)) + "。")
    if episode.suppressions:
        out.append(f"期间有报备：{'、'.join(episode.suppressions)}。")
    return out
