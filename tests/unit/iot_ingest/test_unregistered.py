"""The budget for frames of unregistered MNs: per-MN sample, per source address, in total; frames and bytes."""

from __future__ import annotations

import pytest

from iot_ingest.unregistered import UnregisteredBudget

pytestmark = pytest.mark.unit


def budget(**overrides: int) -> UnregisteredBudget:
    limits = {"mn_frames": 100, "source_frames": 100, "source_bytes": 100_000, "total_frames": 100,
              "total_bytes": 100_000} | overrides  # fmt: skip
    return UnregisteredBudget(window=100.0, **limits)


def test_per_mn_sample_refuses_further_frames_of_that_mn_only() -> None:
    b = budget(mn_frames=2)
    assert [b.spend("MN1", "a", 500, 0.0) for _ in range(3)] == [None, None, "mn"]
    assert b.spend("MN2", "a", 500, 0.0) is None


def test_source_budget_is_per_address_and_counts_frames_and_bytes() -> None:
    b = budget(source_frames=3, source_bytes=20_000)
    # A peer cycling MNs defeats the per-MN sample, not the per-source budget.
    assert [b.spend(f"MN{i}", "a", 100, 0.0) for i in range(4)] == [None, None, None, "source"]
    assert b.spend("MNx", "b", 100, 0.0) is None
    assert b.spend("MNy", "b", 19_950, 0.0) == "source"  # bytes: 100 spent, 19,950 more do not fit


def test_total_budget_caps_many_addresses() -> None:
    b = budget(total_frames=5)
    assert [b.spend(f"MN{i}", f"10.0.0.{i}", 100, 0.0) for i in range(6)] == [None] * 5 + ["total"]


def test_refused_frame_spends_nothing_and_budgets_refill_over_the_window() -> None:
    b = budget(source_frames=1)
    assert b.spend("MN1", "a", 100, 0.0) is None
    assert b.spend("MN2", "a", 100, 0.0) == "source"
    # The refusal charged neither MN2's sample nor the total.
    assert b.spend("MN2", "b", 100, 0.0) is None
    assert b.spend("MN3", "a", 100, 50.0) == "source"  # half a token back after half the window
    assert b.spend("MN3", "a", 100, 100.0) is None


def test_reports_are_rate_limited_per_scope_and_key() -> None:
    b = UnregisteredBudget(window=100.0, mn_frames=1, source_frames=1, source_bytes=20_000, total_frames=1,
                           total_bytes=20_000, report_every=600.0)  # fmt: skip
    assert b.report_due("source", "a", 0.0) and not b.report_due("source", "a", 599.0)
    assert b.report_due("source", "b", 1.0) and b.report_due("total", "", 1.0)
    assert b.report_due("source", "a", 600.0)
