"""`python -m monitoring`: import, list, show (with a stored reading) and verify, on a real sqlite file."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.sqlite import open_store
from tests.integration.monitoring.cli_support import run_cli as _run

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "registry"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    code, text = _run("--db", path, "registry", "import", "--csv", str(FIXTURES / "rugao_2022_enterprises.csv"))
    assert code == 0 and "新增 301" in text
    sheets = [f"--{flag}={FIXTURES / f'{sheet}.csv'}" for flag, sheet in (("facilities", "设施"), ("points", "点位"))]
    sheets += [f"--lines={FIXTURES / '治理线.csv'}", f"--terminals={FIXTURES / '终端.csv'}"]
    code, text = _run("--db", path, "registry", "import", *sheets)
    assert code == 0 and "新增 16" in text, text
    code, text = _run("--db", path, "registry", "import", f"--enterprises={FIXTURES / '企业.csv'}")
    assert code == 0 and "更新 2" in text, text
    return path


def test_cli_reimport_reports_everything_unchanged(db: str) -> None:
    code, text = _run("--db", db, "registry", "import", "--csv", str(FIXTURES / "rugao_2022_enterprises.csv"))
    assert code == 0 and "未变 301" in text


def test_cli_enterprises_list_filters_by_town(db: str) -> None:
    code, text = _run("--db", db, "enterprises", "list", "--town", "江安镇")
    assert code == 0 and "南通联强机械配件有限公司" in text and "江苏泰慕士" not in text
    assert _run("--db", db, "enterprises", "list", "--town", "不存在镇")[0] == 1


def test_cli_enterprises_show_prints_the_archive(db: str) -> None:
    from monitoring.registry.ids import enterprise_id

    code, text = _run("--db", db, "enterprises", "show", enterprise_id("rugao", "江苏泰慕士针纺科技股份有限公司"))
    assert code == 0
    for expected in ("城北街道", "执法一局", "91320600XXXXXXXX0A", "张三", "MF0002", "320682TMS0003", "定型废气治理线"):
        assert expected in text
    assert "TA001 ← MF0001、MF0002" in text and "设施 4 个，点位 4 个" in text
    assert _run("--db", db, "enterprises", "show", "nope")[0] == 1


def test_cli_enterprises_progress_counts_each_town_and_the_total(db: str) -> None:
    code, text = _run("--db", db, "enterprises", "progress")
    assert code == 0
    total = [line for line in text.splitlines() if line.startswith("合计")][0].split()
    assert total[1] == "301" and total[2] == "301"  # all 待勘察 after the import
    assert "江安镇" in text and "已备案" in text


def test_cli_points_show_prints_the_latest_reading(db: str) -> None:
    # Given a stored reading for a point
    store = open_store(db)
    at = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    store.readings.put_reading(
        Reading("320682TMS0001", at, ReadingKind.MINUTE, {"p": 42.5, "ia": 70.1}, raw={"x1": {"Rtd": "9"}})
    )
    store.close()
    # When shown
    code, text = _run("--db", db, "points", "show", "320682TMS0001")
    # Then values, names, China time and unmapped codes appear
    assert code == 0
    assert "2026-11-28 10:00:00" in text and "42.5" in text and "总有功功率" in text and "x1" in text
    assert _run("--db", db, "points", "show", "nope")[0] == 1


def test_cli_points_and_terminals_list(db: str) -> None:
    code, text = _run("--db", db, "points", "list")
    assert code == 0 and "共 6 个点位" in text and "320682JL0002" in text
    code, text = _run("--db", db, "terminals", "list")
    assert code == 0 and "共 2 台终端" in text and "010000A8900016F000169DC1" in text


def test_cli_archive_verify_reports_an_intact_chain(db: str) -> None:
    store = open_store(db)
    store.archive.append(RawFrame("MN1", b"##", datetime(2026, 11, 28, tzinfo=UTC), "p", AuthStatus.OK))
    store.close()
    code, text = _run("--db", db, "archive", "verify", "MN1")
    assert code == 0 and "1 条" in text


def test_cli_import_with_errors_exits_1_and_lists_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "序号,镇（区、街道）,企业名称,安装类型,所属分局\n1,城北街道,甲,未知类型,执法一局\n", encoding="utf-8"
    )
    code, text = _run("--db", str(tmp_path / "x.db"), "registry", "import", "--csv", str(bad))
    assert code == 1 and "第2行「安装类型」列" in text


def test_cli_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, text = _run("--db", str(tmp_path / "x.db"), "registry", "import", "--csv", str(tmp_path / "none.csv"))
    assert code == 2 and "文件不存在" in text
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_monitoring_runs_as_a_program(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitoring", "registry", "template", "--out", str(tmp_path / "t")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "登记模板.xlsx" in done.stdout


def _alarm(alarm_id: str, enterprise: str, state: AlarmState, at: datetime) -> Alarm:
    episode = Episode(at, None if state is AlarmState.PENDING else at, {}, {})
    return Alarm(alarm_id, "control_stopped", "TA001", enterprise, "major", state, (episode,), at, at, ("TA001",))


def test_cli_alarms_list_shows_open_alarms_unless_all(db: str) -> None:
    # Given an open and a closed alarm of one enterprise
    from monitoring.registry.ids import enterprise_id

    eid = enterprise_id("rugao", "江苏泰慕士针纺科技股份有限公司")
    store = open_store(db)
    at = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    store.alarms.put(_alarm("a1", eid, AlarmState.PENDING, at), expected_version=None)
    store.alarms.put(_alarm("a2", eid, AlarmState.CLOSED, at), expected_version=None)
    store.close()
    # When listed: the open one by default, in China time with the rule's and the enterprise's names
    code, text = _run("--db", db, "alarms", "list")
    assert code == 0 and "共 1 条" in text and "江苏泰慕士针纺科技股份有限公司" in text
    assert "2026-11-28 10:00" in text and "治污设施停运" in text and "待响应" in text and "pending" not in text
    # Then --all adds the closed one, --json gives the rows, another enterprise has none
    assert "共 2 条" in _run("--db", db, "alarms", "list", "--all")[1]
    code, text = _run("--db", db, "alarms", "list", "--all", "--json", "--limit", "1")
    assert code == 0 and [r["rule"] for r in json.loads(text)] == ["control_stopped"]
    assert "共 0 条" in _run("--db", db, "alarms", "list", "--enterprise", "rugao-ent-none")[1]


def test_cli_readings_list_reads_the_minutes_up_to_now(db: str) -> None:
    from monitoring.registry.ids import enterprise_id

    eid = enterprise_id("rugao", "江苏泰慕士针纺科技股份有限公司")
    store = open_store(db)
    at = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    store.readings.put_reading(Reading("320682TMS0001", at, ReadingKind.MINUTE, {"p": 42.5, "ia": 70.1}))
    store.close()
    now = "2026-11-28T10:05:00+08:00"
    code, text = _run("--db", db, "readings", "list", "--enterprise", eid, "--now", now)
    assert code == 0 and "2026-11-28 10:00" in text and "42.5" in text and "共 1 条" in text
    code, text = _run("--db", db, "readings", "list", "--enterprise", eid, "--now", now, "--minutes", "3", "--json")
    assert (code, json.loads(text)) == (0, [])
    assert _run("--db", db, "readings", "list", "--enterprise", "rugao-ent-none")[0] == 1
