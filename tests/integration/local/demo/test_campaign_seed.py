"""The demo's campaign: simulated enterprises past 已联网, a few list enterprises per town at the early steps and
exempt — without points or terminals, so no rule sees them — seeded the same way on every import."""

from __future__ import annotations

from collections import Counter
from datetime import date

from local.demo.fleet import import_fleet
from local.demo.runner import CSV
from monitoring.campaign.progress import progress
from monitoring.registry.models import InstallStatus
from monitoring.storage.sqlite import open_store
from simulator.manifest import manifest
from tests.integration.local.demo.test_simulated_day import START, _fleet


def test_the_demo_county_has_a_campaign_in_progress_and_only_simulated_enterprises_have_points() -> None:
    store = open_store(":memory:")
    doc = manifest(_fleet(), seed=1, start=START, settings={"min_interval_min": 1})
    import_fleet(store, doc, enterprise_csv=CSV, scrypt_n=2, minute_interval=1)
    simulated = {str(e["name"]) for e in doc["enterprises"]}
    (campaign,) = store.campaign.list_campaigns("rugao")
    enterprises = store.registry.list_enterprises("rugao")
    steps: Counter[str] = Counter()
    for e in enterprises:
        steps["exempt" if e.exemption else e.install_status.value] += 1
        assert store.campaign.find_file(campaign.campaign_id, e.enterprise_id) is not None
        if e.name in simulated:
            assert e.install_status.rank >= InstallStatus.TRIAL_RUN.rank and e.exemption is None
        else:  # nothing for the rules to evaluate: no alarm can come from an enterprise not yet networked
            assert e.install_status.rank <= InstallStatus.INSTALLED.rank
            assert store.registry.list_points(e.enterprise_id) == []
    extra_per_town = Counter(e.town_id for e in enterprises if e.name not in simulated)
    assert len(extra_per_town) > 10 and max(extra_per_town.values()) == 3  # the first three of each town
    assert {"pending_survey", "surveyed", "installed", "exempt", "trial_run", "accepted", "filed"} <= set(steps)
    today = date(2026, 11, 30)
    town_rows, _, overdue = progress(campaign, enterprises, {f.enterprise_id: f for f in store.campaign.list_files(
        campaign.campaign_id)}, today, town_names={}, branch_names={})  # fmt: skip
    assert {o.step for o in overdue} >= {"survey", "filing_limit"}  # the survey deadline passed 10 days ago
    assert sum(g.exempt for g in town_rows) == steps["exempt"]
    before = [(f.enterprise_id, f.version) for f in store.campaign.list_files(campaign.campaign_id)]
    import_fleet(store, doc, enterprise_csv=CSV, scrypt_n=2, minute_interval=1)  # idempotent
    assert [(f.enterprise_id, f.version) for f in store.campaign.list_files(campaign.campaign_id)] == before
