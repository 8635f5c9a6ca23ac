"""Liveness sheets as records: forward-only merges, pruning of terminals gone quiet for good, hostile bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.errors import InvalidInputError
from monitoring.registry.liveness import KEEP, LIVENESS_SHEETS, LivenessSheet, liveness_sheet, seen_later
from tests.contract.storage import builders as b

T0 = datetime(2026, 12, 7, 2, 0, 30, 750_000, tzinfo=UTC)
MN = "88888880000001"


def test_every_mn_has_one_sheet_in_range_and_the_spread_is_even() -> None:
    counts = [0] * LIVENESS_SHEETS
    for i in range(6_400):
        counts[liveness_sheet(f"888888800{i:05d}")] += 1
    assert min(counts) > 50 and max(counts) < 150  # ≈ 100 each


def _same_sheet(mn: str) -> str:
    return next(
        f"888888800{i:05d}" for i in range(2, 10_000) if liveness_sheet(f"888888800{i:05d}") == liveness_sheet(mn)
    )


def test_a_merge_moves_forward_only_and_keeps_whole_seconds() -> None:
    sheet = LivenessSheet("rugao", liveness_sheet(MN))
    first = sheet.merged({MN: T0}, T0)
    assert first.version == 1 and first.time_of(MN) == T0.replace(microsecond=0)
    assert first.merged({MN: T0 - timedelta(minutes=1)}, T0) is first  # nothing later: no write
    assert first.merged({MN: T0 + timedelta(seconds=1)}, T0).version == 2


def test_a_merge_drops_terminals_silent_for_longer_than_kept() -> None:
    other = _same_sheet(MN)
    sheet = LivenessSheet("rugao", liveness_sheet(MN)).merged({other: T0}, T0)
    kept = sheet.merged({MN: T0 + KEEP - timedelta(seconds=1)}, T0 + KEEP - timedelta(seconds=1))
    assert set(kept.seen) == {MN, other}
    gone = kept.merged({MN: T0 + KEEP + timedelta(seconds=1)}, T0 + KEEP + timedelta(seconds=1))
    assert set(gone.seen) == {MN}


def test_a_time_for_another_sheet_is_refused() -> None:
    wrong = (liveness_sheet(MN) + 1) % LIVENESS_SHEETS
    with pytest.raises(InvalidInputError):
        LivenessSheet("rugao", wrong).merged({MN: T0}, T0)
    with pytest.raises(InvalidInputError):
        LivenessSheet("rugao", LIVENESS_SHEETS)


@pytest.mark.parametrize(
    "body",
    [
        {"county_id": "rugao", "sheet": 3},
        {"county_id": "rugao", "sheet": 3, "seen": {"bad mn!": 1}},
        {"county_id": "rugao", "sheet": 3, "seen": {MN: "yesterday"}},
        {"county_id": "rugao", "sheet": 3, "seen": {MN: True}},
        {"county_id": "../x", "sheet": 3, "seen": {}},
        {"county_id": "rugao", "sheet": 99, "seen": {}},
        {"county_id": "rugao", "sheet": "3", "seen": {}},
        {"county_id": "rugao", "sheet": 3, "seen": {}, "version": -1},
        {"county_id": "rugao", "sheet": liveness_sheet(MN), "seen": {MN: 10**15}},
        {"county_id": "rugao", "sheet": (liveness_sheet(MN) + 1) % LIVENESS_SHEETS, "seen": {MN: 1}},
    ],
)
def test_a_malformed_stored_sheet_is_a_clear_error(body: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        LivenessSheet.from_body(body)


def test_a_sheet_stored_under_another_key_is_refused() -> None:
    body = {"county_id": "rugao", "sheet": 3, "seen": {}, "version": 1}
    assert LivenessSheet.from_body(body, "rugao#3").key == "rugao#3"
    with pytest.raises(InvalidInputError):
        LivenessSheet.from_body(body, "other#3")


def test_times_far_from_the_writers_clock_neither_stay_nor_push_the_others_out() -> None:
    other, third = _same_sheet(MN), [m for m in (f"888888800{i:05d}" for i in range(2, 20_000))
                                      if liveness_sheet(m) == liveness_sheet(MN)][1]  # fmt: skip
    sheet = LivenessSheet("rugao", liveness_sheet(MN)).merged({MN: T0, other: T0}, T0)
    # A time 400 days ahead of the writer's clock (a clock that jumped, a hostile write) is not taken
    assert sheet.merged({third: T0 + timedelta(days=400)}, T0) is sheet
    # A requeued frame 3 days old takes its place without pushing the current ones out
    old = sheet.merged({third: T0 - timedelta(days=3)}, T0)
    assert set(old.seen) == {MN, other, third}
    # And one stored ahead (written before this rule) is dropped at the next write
    stored = LivenessSheet("rugao", liveness_sheet(MN), {**sheet.seen, third: int(T0.timestamp()) + 400 * 86_400}, 2)
    assert set(stored.merged({MN: T0 + timedelta(minutes=5)}, T0 + timedelta(minutes=5)).seen) == {MN, other}


def test_a_later_sheet_time_shows_the_terminal_online_and_an_older_one_changes_nothing() -> None:
    stored = b.terminal(online=False, last_frame_at=T0)
    assert seen_later(stored, None) is stored
    assert seen_later(stored, T0 - timedelta(seconds=1)) is stored
    shown = seen_later(stored, T0 + timedelta(minutes=3))
    assert shown.online and shown.last_frame_at == T0 + timedelta(minutes=3) and shown.version == stored.version
