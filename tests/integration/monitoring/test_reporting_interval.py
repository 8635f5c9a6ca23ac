"""The 终端 sheet's reporting interval reaches the rules: a terminal sending five-minute data is neither
incomplete nor unknown between its readings."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from monitoring.cli import run
from monitoring.evaluation.models import RunState, Sample, Topology
from monitoring.registry.import_list import import_enterprise_list
from monitoring.registry.import_sheets import import_sheets, read_csv_sheets
from monitoring.registry.models import County
from monitoring.registry.sheet_columns import SHEETS
from monitoring.rules.enterprise_tick import EnterpriseTick
from monitoring.rules.situation import Emergency
from monitoring.rules.store_inputs import StoreRuleInputs
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from monitoring.storage.rules_memory import MemoryRuleState
from tests.unit.monitoring.rules.world import World, at

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "registry"
RUGAO = County("rugao", "如皋市", "南通市", "江苏省")
MN = "010000A8900016F000169DC0"


def _sheets(tmp_path: Path, interval: str) -> dict[str, Path]:
    """The fixture sheets, with the 终端 sheet given a 上报间隔(分钟) column."""
    rows = list(csv.reader((FIXTURES / "终端.csv").open(encoding="utf-8")))
    rows[0].append("上报间隔(分钟)")
    rows[1].append(interval)
    rows[2].append("")
    path = tmp_path / "终端.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    paths = {sheet: FIXTURES / f"{sheet}.csv" for sheet in SHEETS}
    return paths | {"终端": path}


def _store(tmp_path: Path, interval: str) -> tuple[Store, list[str]]:
    s = memory_store()
    assert import_enterprise_list(s.registry, FIXTURES / "rugao_2022_enterprises.csv", county=RUGAO, year=2022).ok
    report = import_sheets(s.registry, "rugao", read_csv_sheets(_sheets(tmp_path, interval)))
    return s, [str(e) for e in report.errors]


def _one_enterprise(topo: Topology, eid: str) -> Topology:
    return Topology(
        enterprises={eid: topo.enterprises[eid]},
        points={k: p for k, p in topo.points.items() if p.enterprise_id == eid},
        associations={k: a for k, a in topo.associations.items() if a.enterprise_id == eid},
    )


def test_reporting_interval_from_the_sheet_is_used_for_states_and_completeness(tmp_path: Path) -> None:
    # Given the 终端 sheet says the first terminal reports every 5 minutes
    store, errors = _store(tmp_path, "5")
    assert errors == []
    terminal = store.registry.find_terminal(MN)
    assert terminal is not None and terminal.minute_interval_min == 5
    topo = StoreRuleInputs(store, MemoryRuleState(), "rugao").topology()
    on_mn = [p for p in topo.points.values() if p.mn == MN]
    assert on_mn and {p.interval_s for p in on_mn} == {300}
    # When that terminal sends a whole local day of five-minute readings (production running)
    eid = on_mn[0].enterprise_id
    w = World(_one_enterprise(topo, eid))
    w.config = w.config.with_overrides({"enterprise": {eid: {"evaluation": {"max_catchup_hours": 1}}}})
    day_start = at("16:00", -1)  # the local day 2026-11-23 begins
    for p in on_mn:
        rows = []
        t = day_start - timedelta(hours=1)
        while t < at("19:00"):
            rows.append(Sample(t, p=50.0, ua=230.0, ub=230.0, uc=230.0, ia=70.0, ib=70.0, ic=70.0, received_at=t))
            t += timedelta(minutes=5)
        w.inputs.add(p.id, rows)
    w.tick(at("00:00"))  # the platform starts watching: the local day 11-23 is the first one judged
    result = w.tick(at("04:00"))
    # Then every minute between readings has a known state (a reading covers 1.5 intervals) …
    ws, we = result.windows[eid]
    topo = w.inputs.topology()
    tick = EnterpriseTick(w.stores, w.config, Emergency(), topo, topo.enterprises[eid], we, we, [], [], ws, {})
    ctx = tick.context(ws, we)
    assert all(s == RunState.RUN for p in on_mn for s in ctx.states(p.id))
    # … and, once the day is judged, it is complete and the terminal was never offline
    w.tick(at("19:00"))
    flagged = {a.subject for a in w.alarms() if a.rule in ("data_incomplete", "terminal_offline")}
    assert not flagged & ({f"point:{p.id}" for p in on_mn} | {f"terminal:{MN}"})
    assert {a.subject for a in w.alarms("data_incomplete")} == {
        f"point:{p.id}" for p in w.inputs.topology().points.values() if p.mn != MN
    }  # the silent second terminal is flagged: the rule did judge the day


def test_terminals_list_shows_the_reporting_interval(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    out = io.StringIO()
    assert run(["--db", db, "registry", "import", "--csv", str(FIXTURES / "rugao_2022_enterprises.csv")], out) == 0
    given = [
        f"--{flag}={path}" for flag, path in zip(("facilities", "points", "terminals"), _paths(tmp_path), strict=True)
    ]
    assert run(["--db", db, "registry", "import", *given], out) == 0, out.getvalue()
    out = io.StringIO()
    assert run(["--db", db, "terminals", "list"], out) == 0
    lines = {line.split()[0]: line.split() for line in out.getvalue().splitlines() if line.startswith("010000")}
    header = out.getvalue().splitlines()[0].split()
    column = header.index("上报间隔(分钟)")
    assert lines[MN][column] == "5" and lines["010000A8900016F000169DC1"][column] == "1"


def _paths(tmp_path: Path) -> list[Path]:
    sheets = _sheets(tmp_path, "5")
    return [sheets["设施"], sheets["点位"], sheets["终端"]]


@pytest.mark.parametrize("bad", ["0", "2.5", "五", "1441"])
def test_bad_reporting_interval_is_refused_naming_row_and_column(tmp_path: Path, bad: str) -> None:
    store, errors = _store(tmp_path, bad)
    assert len(errors) == 1 and errors[0].startswith("终端 第2行「上报间隔(分钟)」列")
    assert store.registry.find_terminal(MN) is None
