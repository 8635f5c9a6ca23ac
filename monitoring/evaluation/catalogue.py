"""The rule catalogue: stable rule ids, Chinese names, default severity and the family each belongs to.

Rule ids are stored on alarms and used in parameter files and suppression scopes; never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.evaluation.models import Severity


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    family: int  # the rule family 1..9 (0: fault overrun, from the notice 第十三条(六))
    name: str  # user-facing, Chinese
    severity: Severity


_SPECS = (
    RuleSpec("control_stopped", 1, "治污设施停运（未与产污设施同步运行）", Severity.HIGH),
    RuleSpec("control_low_load", 2, "治污设施低负荷/空转/降频运行", Severity.MEDIUM),
    RuleSpec("start_stop_order", 3, "产治启停顺序异常（治污未先开后停）", Severity.MEDIUM),
    RuleSpec("emergency_violation", 4, "应急管控期间未落实停限产措施", Severity.HIGH),
    RuleSpec("terminal_offline", 5, "终端离线/数据中断", Severity.MEDIUM),
    RuleSpec("data_incomplete", 5, "日数据完整率不足", Severity.LOW),
    RuleSpec("power_loss", 6, "监测回路掉电", Severity.MEDIUM),
    RuleSpec("tamper_zero_current", 7, "有电压无电流（疑似短接或旁路互感器）", Severity.HIGH),
    RuleSpec("tamper_negative_power", 7, "负载回路负功率（疑似互感器反接）", Severity.HIGH),
    RuleSpec("tamper_energy_backwards", 7, "电能示值倒走", Severity.HIGH),
    RuleSpec("tamper_flatline", 7, "数据长时间恒定不变", Severity.HIGH),
    RuleSpec("tamper_clock_skew", 7, "终端时钟偏差", Severity.MEDIUM),
    RuleSpec("tamper_param_change", 7, "终端参数被修改", Severity.MEDIUM),
    RuleSpec("tamper_duplicate_mn", 7, "设备编号（MN）重复", Severity.HIGH),
    RuleSpec("circuit_over_voltage", 8, "过电压", Severity.LOW),
    RuleSpec("circuit_under_voltage", 8, "欠电压", Severity.LOW),
    RuleSpec("circuit_phase_loss", 8, "缺相", Severity.MEDIUM),
    RuleSpec("circuit_current_imbalance", 8, "三相电流不平衡", Severity.LOW),
    RuleSpec("circuit_over_current", 8, "过电流", Severity.MEDIUM),
    RuleSpec("over_production", 9, "用电量持续显著高于基线（疑似擅自扩产）", Severity.MEDIUM),
    RuleSpec("halt_violation", 9, "停产期间恢复生产", Severity.HIGH),
    RuleSpec("fault_overrun", 0, "治污设施故障超过2小时仍在生产", Severity.HIGH),
)

RULES: dict[str, RuleSpec] = {spec.id: spec for spec in _SPECS}

# Rules a control-facility stoppage (停运) or fault suppresses for the points it names.
CONTROL_RULES = frozenset({"control_stopped", "control_low_load", "start_stop_order"})
# Rules a monitoring-equipment stoppage or removal (拆除) suppresses for the points it names.
MONITORING_RULES = frozenset(
    {
        "terminal_offline",
        "data_incomplete",
        "power_loss",
        "tamper_zero_current",
        "tamper_flatline",
        "circuit_over_voltage",
        "circuit_under_voltage",
        "circuit_phase_loss",
        "circuit_current_imbalance",
        "circuit_over_current",
    }
)
