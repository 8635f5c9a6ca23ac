"""The demo's campaign: enterprises at every step, the early ones and the exempt ones only among enterprises whose
scenario expects no alarm (the status feeds no rule), seeded the same way on every import; with every terminal
sending, as in the demo, the campaign's run still leaves some enterprise at each step."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

from local.demo.fleet import enterprise_id_for, import_fleet
from local.demo.runner import CSV
from monitoring._time import CHINA
from monitoring.campaign.progress import progress
from monitoring.campaign.service import run_daily
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import InstallStatus
from monitoring.storage.sqlite import open_store


def test_the_demo_county_has_a_campaign_in_progress_without_changing_who_may_alarm(tmp_path: Path) -> None:
    out = tmp_path / "fleet.json"
    sim = [sys.executable, "-m", "simulator", "manifest", "--csv", str(CSV), "--seed", "1", "--limit", "60",
           "--out", str(out)]  # fmt: skip
    subprocess.run(sim, check=True, capture_output=True)
    doc = json.loads(out.read_text(encoding="utf-8"))
    store = open_store(":memory:")
    import_fleet(store, doc, enterprise_csv=CSV, scrypt_n=2, minute_interval=1)
    scenario = {enterprise_id_for("rugao", e): e["scenario"] for e in doc["enterprises"]}
    (campaign,) = store.campaign.list_campaigns("rugao")
    enterprises = store.registry.list_enterprises("rugao")
    assert len(enterprises) == 60
    steps: Counter[str] = Counter()
    for e in enterprises:
        steps["exempt" if e.exemption else e.install_status.value] += 1
        assert store.campaign.find_file(campaign.campaign_id, e.enterprise_id) is not None
        if e.exemption or e.install_status.rank < InstallStatus.NETWORKED.rank:
            assert scenario[e.enterprise_id] == "normal"  # nothing is expected of it, so nothing may be raised
    first = min(enterprises, key=lambda e: e.list_seq or 0)
    assert first.install_status is InstallStatus.FILED and first.exemption is None  # the browser tests' enterprise
    assert set(steps) == {"pending_survey", "surveyed", "installed", "exempt", "networked", "trial_run", "accepted",
                          "filed"}  # fmt: skip
    today = date(2026, 11, 30)
    files = {f.enterprise_id: f for f in store.campaign.list_files(campaign.campaign_id)}
    _, _, overdue = progress(campaign, enterprises, files, today, town_names={}, branch_names={})
    kinds = {o.step for o in overdue}
    assert kinds == {
        "survey",
        "filing_limit",
    }  # the survey deadline passed 10 days ago; 5 working days after acceptance
    assert all(o.workdays == (o.step == "filing_limit") for o in overdue)
    assert any(f.filing is not None and f.filing.late for f in files.values())
    before = [(f.enterprise_id, f.version) for f in store.campaign.list_files(campaign.campaign_id)]
    import_fleet(store, doc, enterprise_csv=CSV, scrypt_n=2, minute_interval=1)  # idempotent
    assert [(f.enterprise_id, f.version) for f in store.campaign.list_files(campaign.campaign_id)] == before


def test_after_the_campaign_run_with_every_terminal_sending_each_step_still_has_an_enterprise(tmp_path: Path) -> None:
    out = tmp_path / "fleet.json"
    sim = [sys.executable, "-m", "simulator", "manifest", "--csv", str(CSV), "--seed", "1", "--limit", "60",
           "--out", str(out)]  # fmt: skip
    subprocess.run(sim, check=True, capture_output=True)
    doc = json.loads(out.read_text(encoding="utf-8"))
    store = open_store(":memory:")
    import_fleet(store, doc, enterprise_csv=CSV, scrypt_n=2, minute_interval=1)
    (campaign,) = store.campaign.list_campaigns("rugao")
    today = campaign.deadlines.network - timedelta(days=5)  # the demo day (campaign_seed.demo_campaign)
    start = datetime.combine(today, time(8), CHINA)
    bound = 0
    for e in store.registry.list_enterprises("rugao"):
        for p in store.registry.list_points(e.enterprise_id):
            if p.mn is None:
                continue
            bound += 1  # the demo simulates every bound terminal: an hour of minute data this morning
            store.readings.put_readings(
                [Reading(p.point_id, start + timedelta(minutes=i), ReadingKind.MINUTE, {"p": 5.0}) for i in range(60)]
            )
    assert bound > 60
    run_daily(store, campaign, datetime.combine(today, time(10), CHINA))
    run_daily(store, campaign, datetime.combine(today, time(11), CHINA))  # the job runs every 15 minutes
    steps = Counter(e.install_status for e in store.registry.list_enterprises("rugao") if e.exemption is None)
    assert set(steps) == set(InstallStatus), steps
    planned = [
        p for e in store.registry.list_enterprises("rugao") if e.install_status is InstallStatus.INSTALLED
        for p in store.registry.list_points(e.enterprise_id) if p.mn is None
    ]  # fmt: skip
    assert planned  # the installed ones wait on a planned point without a terminal
