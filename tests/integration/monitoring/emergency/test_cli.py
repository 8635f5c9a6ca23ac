"""`python -m monitoring emergency …` on a real sqlite file: alerts by level/time/scope names, measures by sheet."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from monitoring.emergency import measures_sheet
from monitoring.emergency.models import EnterpriseMeasures, Level, LevelMeasures
from monitoring.emergency.ports import EmergencyRepository
from monitoring.registry import ids
from monitoring.storage.sqlite import open_store
from tests.integration.monitoring.cli_support import run_cli as _run

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "registry"
SHIPPED = Path(__file__).resolve().parents[4] / "data" / "registry_templates"
TMS = "江苏泰慕士针纺科技股份有限公司"
HEADER = ["企业名称", "预警级别", "停产点位编码", "用电量占基线比例", "错峰停产时段", "措施说明"]


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    assert _run("--db", path, "registry", "import", "--csv", str(FIXTURES / "rugao_2022_enterprises.csv"))[0] == 0
    sheets = [f"--{flag}={FIXTURES / f'{sheet}.csv'}" for flag, sheet in (("facilities", "设施"), ("points", "点位"))]
    assert _run("--db", path, "registry", "import", *sheets, f"--terminals={FIXTURES / '终端.csv'}")[0] == 0
    return path


@pytest.fixture
def repo(db: str) -> Iterator[EmergencyRepository]:
    store = open_store(Path(db))
    yield store.emergency
    store.close()


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def test_alert_add_end_list_round_trip_with_names_resolved(db: str, repo: EmergencyRepository) -> None:
    add = ("--db", db, "emergency", "alert", "add", "--level", "橙", "--start", "2026-12-06T08:00")
    code, text = _run(*add, "--end", "2026-12-08T20:00", "--town", "城北街道", "--title", "橙色预警", "--by", "应急科")
    assert code == 0 and "已发布" in text and "范围：城北街道" in text, text
    (alert,) = repo.alerts_between(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    assert alert.id == "YJ-202612060800-orange" and alert.level is Level.ORANGE
    assert alert.start == datetime(2026, 12, 6, 0, 0, tzinfo=UTC) and alert.end == datetime(
        2026, 12, 8, 12, 0, tzinfo=UTC
    )
    assert alert.towns == frozenset({ids.town_id("rugao", "城北街道")}) and alert.enterprises is None
    # the same command again changes nothing; a different alert under the same id is refused
    assert (
        _run(*add, "--end", "2026-12-08T20:00", "--town", "城北街道", "--title", "橙色预警", "--by", "应急科")[0] == 0
    )
    code, text = _run(*add, "--end", "2026-12-09T20:00")
    assert code == 2 and "已存在" in text
    # lifted early
    code, text = _run("--db", db, "emergency", "alert", "end", alert.id, "--at", "2026-12-07T12:00")
    assert code == 0 and "2026-12-07 12:00" in text
    assert repo.get_alert(alert.id).end == datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
    code, text = _run(
        "--db", db, "emergency", "alert", "list", "--from", "2026-12-01T00:00", "--to", "2027-01-01T00:00"
    )
    assert code == 0 and "YJ-202612060800-orange  橙色预警  2026-12-06 08:00 至 2026-12-07 12:00" in text
    assert "共 1 条预警" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--level", "紫色", "--start", "2026-12-06T08:00", "--end", "2026-12-07T08:00"), "预警级别"),
        (("--level", "红色", "--start", "2026-12-06T08:00", "--end", "2026-12-06T07:00"), "结束时间须晚于开始时间"),
        (("--level", "红色", "--start", "2026-12-06 8点", "--end", "2026-12-07T08:00"), "时间格式不正确"),
        (("--level", "红", "--start", "2026-12-06T08:00", "--end", "2027-02-06T08:00"), "超过 31 天"),
        (
            ("--level", "红", "--start", "2026-12-06T08:00", "--end", "2026-12-07T08:00", "--enterprise", "无此公司"),
            "不在名单",
        ),
        (("--level", "红", "--start", "2026-12-06T08:00", "--end", "2026-12-07T08:00", "--town", "无此镇"), "不存在"),
    ],
)
def test_bad_alert_is_refused_and_nothing_stored(
    db: str, repo: EmergencyRepository, args: tuple[str, ...], message: str
) -> None:
    code, text = _run("--db", db, "emergency", "alert", "add", *args)
    assert code == 2 and message in text, text
    assert repo.alerts_between(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)) == []


def test_end_of_an_unknown_alert_is_bad_input_in_one_chinese_line(db: str) -> None:
    code, text = _run("--db", db, "emergency", "alert", "end", "YJ-none", "--at", "2026-12-07T12:00")
    assert code == 2 and text.splitlines() == ["错误：预警不存在：YJ-none（可用 emergency alert list 查看）"], text


def test_measures_import_from_csv_stores_point_ids_and_show_prints_codes(
    db: str, repo: EmergencyRepository, tmp_path: Path
) -> None:
    sheet = _csv(
        tmp_path / "m.csv",
        [
            [TMS, "橙色", "320682TMS0001", "60%", "8-12、14-16", "定型机1号停产"],
            [TMS, "红色", "320682TMS0001，320682TMS0002", "0.3", "", ""],
        ],
    )
    code, text = _run("--db", db, "emergency", "measures", "import", str(sheet))
    assert code == 0 and "1 家企业，2 条分级措施" in text, text
    eid = ids.enterprise_id("rugao", TMS)
    p1, p2 = ids.point_id("rugao", "320682TMS0001"), ids.point_id("rugao", "320682TMS0002")
    assert repo.measures() == {
        eid: EnterpriseMeasures(
            eid,
            {
                Level.ORANGE: LevelMeasures((p1,), 0.6, ((8, 12), (14, 16))),
                Level.RED: LevelMeasures((p1, p2), 0.3, ()),
            },
        )
    }
    code, text = _run("--db", db, "emergency", "measures", "show", "--enterprise", TMS)
    assert code == 0 and "橙色预警：停产点位 320682TMS0001；用电量不超过基线的 60%；错峰停产 8-12时、14-16时" in text
    # a sheet naming the enterprise again replaces its measures: the red level is gone
    _run("--db", db, "emergency", "measures", "import", str(_csv(tmp_path / "n.csv", [[TMS, "黄", "", "0.8", "", ""]])))
    assert repo.measures()[eid] == EnterpriseMeasures(eid, {Level.YELLOW: LevelMeasures((), 0.8, ())})


def test_measures_import_from_the_xlsx_template(db: str, repo: EmergencyRepository, tmp_path: Path) -> None:
    (xlsx, _csv_path) = measures_sheet.write_template(tmp_path / "tpl")
    wb = load_workbook(xlsx)
    wb[measures_sheet.SHEET].append([TMS, "红色预警", "320682TMS0002", None, "0-24", None])
    wb.save(xlsx)
    code, text = _run("--db", db, "emergency", "measures", "import", str(xlsx))
    assert code == 0, text
    eid = ids.enterprise_id("rugao", TMS)
    assert repo.measures()[eid].levels[Level.RED] == LevelMeasures(
        (ids.point_id("rugao", "320682TMS0002"),), None, ((0, 24),)
    )


def test_bad_measures_sheet_names_each_row_and_column_and_writes_nothing(
    db: str, repo: EmergencyRepository, tmp_path: Path
) -> None:
    sheet = _csv(
        tmp_path / "bad.csv",
        [
            [TMS, "橙色", "320682TMS0001", "0.6", "", ""],  # valid, but must not be written either
            [TMS, "橙色", "", "0.5", "", ""],  # same level twice
            [TMS, "红色", "320682TMS9999", "", "", ""],  # unknown point
            [TMS, "红色", "320682TMS0003", "", "", ""],  # a control point cannot be a must-stop line
            [TMS, "黄色", "", "150%", "12-8", ""],
            ["无此公司", "黄色", "", "0.5", "", ""],
            [TMS, "黄色", "", "", "", ""],  # no measure at all
        ],
    )
    code, text = _run("--db", db, "emergency", "measures", "import", str(sheet))
    assert code == 1 and "共 7 处错误，未写入任何数据" in text, text
    for where in (
        "第3行「预警级别」列",
        "第4行「停产点位编码」列: 点位编码 320682TMS9999 未登记",
        "第5行「停产点位编码」列: 点位 320682TMS0003 不是产污",
        "第6行「用电量占基线比例」列",
        "第6行「错峰停产时段」列",
        "第7行「企业名称」列",
        "第8行「停产点位编码」列: 停产点位编码、用电量占基线比例、错峰停产时段至少填写一项",
    ):
        assert f"应急减排措施 {where}" in text, where
    assert repo.measures() == {}


def test_shipped_measures_templates_match_the_importer(tmp_path: Path) -> None:
    written = measures_sheet.write_template(tmp_path)
    assert next(csv.reader((SHIPPED / "应急减排措施.csv").open(encoding="utf-8-sig"))) == measures_sheet.headers()
    for xlsx in (written[0], SHIPPED / "应急减排清单.xlsx"):
        table = measures_sheet.read_sheet(xlsx)
        assert table.rows == [] and list(table.headers.values()) == measures_sheet.headers()
    assert measures_sheet.headers() == HEADER
