"""Which tick marks a county's rule tick falls back to (local/county_rules.py `tick_keys`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local.county_rules import tick_keys
from monitoring.rules.shards import plan_county

pytestmark = pytest.mark.unit


def test_a_county_falls_back_to_the_fan_outs_first_shard_and_only_the_runners_own_county_to_the_single_tick() -> None:
    # Given a runner whose county_id (the county it evaluated alone, under `tick`) is rugao, now serving two
    rugao, haian = tick_keys("rugao", "rugao"), tick_keys("haian", "rugao")
    # Then each county reads its own mark first, then the AWS fan-out's first shard of that county
    shard = plan_county("haian", ["e1", "e2", "e3"], datetime(2026, 12, 7, tzinfo=UTC), per_shard=2)[0]
    assert haian == ("tick:haian", shard.tick_key) == ("tick:haian", "tick:haian:0")
    # And only rugao reads the single runner's `tick` last; haian never takes rugao's last tick for its own
    assert rugao == ("tick:rugao", "tick:rugao:0", "tick")
    assert "tick" not in haian and tick_keys("rugao", None) == ("tick:rugao", "tick:rugao:0")
