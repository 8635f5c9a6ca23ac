"""Evidence in words: each rule's stored mapping becomes Chinese sentences; unknown keys are still shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitoring.alarms.evidence_words import episode_in_words, quality_in_words, thresholds_in_words
from monitoring.alarms.models import Episode

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _words(evidence: dict[str, object], end: datetime | None = None, **kw: object) -> str:
    return " ".join(episode_in_words(Episode(T, end, evidence, {}, **kw)))  # type: ignore[arg-type]


def test_start_stop_order_says_how_late_control_started() -> None:
    text = _words(
        {
            "kind": "start_late",
            "association": "a1",
            "control_point": "c1",
            "production_points": ["p1"],
            "production_transition_at": "2026-11-23T01:00:00+00:00",
            "control_transition_at": "2026-11-23T01:12:00+00:00",
            "control_after_production_min": 12,
            "late_min": 7,
        }
    )
    assert "产污设施于2026-11-23 09:00启动" in text and "09:12才启动，晚7分钟" in text
    assert "至今仍在持续" in text


def test_emergency_violations_and_power_loss_scope_are_told() -> None:
    text = _words(
        {
            "alert": "YJ-1",
            "level": "orange",
            "violations": [
                {"kind": "stop_point_running", "point": "p2", "from": "2026-11-23T01:00:00+00:00", "run_minutes": 40},
                {
                    "kind": "energy_over_cap",
                    "interval_start": "2026-11-23T02:00:00+00:00",
                    "certain_at": "2026-11-23T02:38:00+00:00",
                    "actual_kwh": 80.5,
                    "cap_kwh": 60.0,
                },
            ],
        },
        end=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    )
    assert "应急预警YJ-1（橙色）期间" in text and "应停产线p2自2026-11-23 09:00起运行40分钟" in text
    assert "生产用电80.5kWh，超过限值60.0kWh，2026-11-23 10:38起确定超限" in text and "至2026-11-23 11:00" in text
    assert "总进线有电而该回路失电" in _words({"terminal": "MN1", "scope": "circuit", "soe": True})


def test_unknown_keys_thresholds_quality_and_retraction() -> None:
    text = _words(
        {"new_fact": 3, "thresholds": {"min_duration_min": 30, "odd": 2, "by_hour": {"1": 2}}}, retracted=True
    )
    assert "new_fact：3" in text and "判定条件：持续30分钟以上，odd=2。" in text and "已撤销" in text
    assert thresholds_in_words({"baseline_share": 0.3}) == ["低于基线的30%"]
    assert quality_in_words({"p1": {"known_share": 0.5, "samples": 30, "bad_flags": 0}}) == [
        "点位p1：有效状态覆盖50%的分钟，数据30条。"
    ]


def test_ids_of_lines_points_and_violating_points_are_shown_by_name() -> None:
    evidence = {
        "kind": "start_late",
        "association": "ent-1:assoc-1",
        "control_point": "ent-1:pt-c1",
        "production_points": ["ent-1:pt-p1", "ent-1:pt-p2"],
        "production_transition_at": "2026-11-23T01:00:00+00:00",
        "control_transition_at": "2026-11-23T01:12:00+00:00",
        "control_after_production_min": 12,
        "alert": "YJ-1",
        "level": "orange",
        "violations": [
            {"kind": "stop_point_running", "point": "ent-1:pt-p1", "from": T.isoformat(), "run_minutes": 40}
        ],
        "main_points": ["ent-1:pt-main"],
    }
    names = {
        "ent-1:assoc-1": "1号喷涂线",
        "ent-1:pt-c1": "活性炭吸附风机",
        "ent-1:pt-p1": "喷涂房",
        "ent-1:pt-main": "总进线",
    }
    text = " ".join(episode_in_words(Episode(T, None, evidence, {}), names))
    assert "产治关联“1号喷涂线”：治污点位活性炭吸附风机，产污点位喷涂房、ent-1:pt-p2。" in text
    assert "治污设施（活性炭吸附风机）" in text and "应停产线喷涂房自" in text and "总进线总进线" in text
    assert "ent-1:assoc-1" not in text and "ent-1:pt-c1" not in text and "ent-1:pt-p1" not in text
    unnamed = " ".join(episode_in_words(Episode(T, None, evidence, {})))
    assert "ent-1:assoc-1" in unnamed  # without names the ids stay, nothing is dropped
