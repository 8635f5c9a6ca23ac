"""`python -m monitoring maintenance …` on a sqlite file: providers, an inspection with readings, a repair, what
is due and overdue, reminders written once a day; bad input is one Chinese line and exit code 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.maintenance.models import CheckResult, MaintenanceEntry, MaintenanceKind, Verdict, new_entry_id
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.sqlite import open_store
from tests.integration.monitoring.cli_support import run_cli
from tests.support.maintenance_world import build, offline_alarm

pytestmark = pytest.mark.integration


def _db(tmp_path: Path) -> tuple[str, datetime]:
    path = tmp_path / "m.db"
    now = datetime.now(UTC)
    store = open_store(path)
    build(store, now)
    at = now - timedelta(days=20)
    check = CheckResult("voltage", "三相电压", Verdict.PASS, "ok")
    for mn, ent in (("MN0001", "e1"), ("MN0002", "e2")):
        store.maintenance.put_entry(MaintenanceEntry(new_entry_id(), ent, MaintenanceKind.COMMISSIONING, at, "inst",
                                                     at, mn=mn, checks=(check,), passed=True))  # fmt: skip
    store.readings.put_reading(Reading("p1", now - timedelta(minutes=2), ReadingKind.REALTIME, {"p": 35.0}))
    offline_alarm(store, "al-cli", "e2", "MN0002", now - timedelta(hours=26))
    store.close()
    return str(path), now


def test_the_duties_from_the_command_line(tmp_path: Path) -> None:
    db, _ = _db(tmp_path)
    code, text = run_cli("--db", db, "maintenance", "overdue")
    assert code == 0 and "超期未巡检 2 台" in text and "超时未修复 1 项" in text and "alarm:al-cli" in text
    code, text = run_cli("--db", db, "maintenance", "inspect", "MN0001", "--by", "provider_a", "--abnormal", "seal",
                         "--reading", "p1:p=34.5", "--text", "封签破损")  # fmt: skip
    assert code == 0 and "异常项 封签" in text and "p1 p：现场 34.5，平台 35" in text, text
    code, text = run_cli("--db", db, "maintenance", "due")
    assert code == 0 and "MN0001\t企业e1\t正常" in text and "MN0002\t企业e2\t已超期" in text, text
    code, text = run_cli("--db", db, "maintenance", "repair", "alarm:al-cli", "--by", "provider_b",
                         "--text", "更换 4G 模块", "--part", "4G 模块")  # fmt: skip
    assert code == 0 and "已记录维修" in text and "尚未恢复上线" in text, text
    code, text = run_cli("--db", db, "maintenance", "overdue")
    assert "超期未巡检 1 台" in text and "超时未修复 0 项" in text
    code, text = run_cli("--db", db, "maintenance", "provider", "set", "e2", "--name", "乙运维", "--account",
                         "provider_b")  # fmt: skip
    assert code == 0 and "乙运维" in text
    code, text = run_cli("--db", db, "maintenance", "provider", "list")
    assert "已指定运维单位的企业 2 家" in text and "甲运维公司" in text
    code, text = run_cli("--db", db, "maintenance", "remind")
    assert (code, text.strip()) == (0, "新写入提醒 2 条")  # MN0002 overdue: its provider and the branch, by SMS
    code, text = run_cli("--db", db, "maintenance", "remind")
    assert (code, text.strip()) == (0, "新写入提醒 0 条")  # once per obligation per day


def test_bad_input_is_one_chinese_line(tmp_path: Path) -> None:
    db, _ = _db(tmp_path)
    for argv, words in (
        (("inspect", "MN0001", "--by", "provider_a", "--abnormal", "paint"), "未知的检查项"),
        (("inspect", "MN0001", "--by", "nobody"), "账号 nobody 不存在"),
        (("inspect", "MN0001", "--by", "provider_a", "--reading", "p1=3"), "现场读数格式不正确"),
        (("repair", "alarm:none", "--by", "provider_a", "--text", "x"), "维修任务"),
        (("provider", "set", "e2", "--name", "丙", "--account", "branch_b1"), "不是本县可用的运维"),
    ):
        code, text = run_cli("--db", db, "maintenance", *argv)
        assert code in (1, 2) and text.startswith("错误：") and words in text, (argv, text)
