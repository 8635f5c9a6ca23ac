"""Declared through the CLI, judged by the engine: an alert and a 应急减排清单 sheet on a real sqlite file, a
working day of stored minute readings, and `replay` showing what the bureau would get."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.cli import run
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.sqlite import open_store

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "registry"
TMS = "江苏泰慕士针纺科技股份有限公司"
P1, P2, CONTROL = "320682TMS0001", "320682TMS0002", "320682TMS0003"  # 定型机1号, 定型机2号, 除油烟风机
DAY = datetime(2026, 11, 23, tzinfo=UTC)  # 08:00 Beijing is 00:00 UTC


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(list(argv), out)
    return code, out.getvalue()


def _declare(tmp_path: Path) -> str:
    db = str(tmp_path / "e.db")
    assert _run("--db", db, "registry", "import", "--csv", str(FIXTURES / "rugao_2022_enterprises.csv"))[0] == 0
    sheets = [f"--{flag}={FIXTURES / f'{name}.csv'}" for flag, name in (("facilities", "设施"), ("points", "点位"))]
    sheets += [f"--lines={FIXTURES / '治理线.csv'}", f"--terminals={FIXTURES / '终端.csv'}"]
    assert _run("--db", db, "registry", "import", *sheets)[0] == 0
    # The bureau: an orange alert over the working day; at orange the enterprise's line 1 must stop
    alert = ("--level", "橙色", "--start", "2026-11-23T08:00", "--end", "2026-11-23T17:00", "--enterprise", TMS)
    assert _run("--db", db, "emergency", "alert", "add", *alert)[0] == 0
    sheet = tmp_path / "清单.csv"
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([["企业名称", "预警级别", "停产点位编码"], [TMS, "橙色", P1]])
    assert _run("--db", db, "emergency", "measures", "import", str(sheet))[0] == 0
    return db


def _store_day(db: str, p1_kw: float) -> None:
    store = open_store(Path(db))
    volts = {"ua": 230.0, "ub": 230.0, "uc": 230.0}
    rows = []
    for m in range(-60, 10 * 60):  # 07:00-18:00 Beijing
        t = DAY + timedelta(minutes=m)
        for point, kw, amps in ((P1, p1_kw, p1_kw * 1.5), (P2, 60.0, 90.0), (CONTROL, 18.0, 30.0)):
            values = {"p": kw, "ia": amps, "ib": amps, "ic": amps, **volts}
            rows.append(Reading(point, t, ReadingKind.MINUTE, values, received_at=t + timedelta(seconds=20)))
    store.readings.put_readings(rows)
    store.close()


def _emergency_alarms(text: str) -> list[str]:
    """The replay's blocks of emergency_violation alarms."""
    blocks = text.split("■ ")[1:]
    return [b for b in blocks if "[emergency_violation]" in b]


def test_line_kept_running_through_the_alert_is_one_alarm_naming_only_that_line(tmp_path: Path) -> None:
    db = _declare(tmp_path)
    _store_day(db, p1_kw=60.0)
    code, text = _run("--db", db, "replay", "--from", "2026-11-23T07:30", "--to", "2026-11-23T18:00", "--step", "10")
    assert code == 0, text
    (block,) = _emergency_alarms(text)
    (episode,) = [line for line in block.splitlines() if line.strip().startswith("时段 2026")]
    assert "2026-11-23 08:00 – 2026-11-23 17:00" in episode
    readings = [line for line in block.splitlines() if line.strip().startswith("读数")]
    assert readings and all(P1 in line and P2 not in line for line in readings)


def test_line_stopped_for_the_alert_raises_nothing(tmp_path: Path) -> None:
    db = _declare(tmp_path)
    _store_day(db, p1_kw=0.0)
    code, text = _run("--db", db, "replay", "--from", "2026-11-23T07:30", "--to", "2026-11-23T18:00", "--step", "10")
    assert code == 0 and _emergency_alarms(text) == [], text
