"""Readings accept only standard quantity names and finite numbers at aware times."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from monitoring.errors import InvalidInputError
from monitoring.readings.models import (
    COUNTERS,
    QUANTITIES,
    Aggregate,
    AggregatePeriod,
    Completeness,
    Reading,
    ReadingKind,
)

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_reading_converts_china_time_to_utc() -> None:
    china = timezone(timedelta(hours=8))
    r = Reading("p1", datetime(2026, 11, 28, 10, 0, tzinfo=china), ReadingKind.MINUTE, {"p": 1})
    assert r.data_time == T and r.data_time.tzinfo is UTC and r.values["p"] == 1.0


@pytest.mark.parametrize(
    "values",
    [
        {"watts": 1.0},
        {"p": math.nan},
        {"p": math.inf},
        {"p": True},
        {"p": "1.0"},
        {"p": 1.0, "q": -math.inf},
        {"p": math.inf, "q": -math.inf},  # the terms' sum is nan, one term alone would pass no check either
    ],
)
def test_reading_with_unknown_or_non_numeric_values_is_rejected(values: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        Reading("p1", T, ReadingKind.MINUTE, values)  # type: ignore[arg-type]


def test_reading_with_naive_time_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="naive"):
        Reading("p1", datetime(2026, 11, 28, 10, 0), ReadingKind.MINUTE, {})


def test_reading_flags_must_name_known_quantities() -> None:
    with pytest.raises(InvalidInputError):
        Reading("p1", T, ReadingKind.MINUTE, {"p": 1.0}, flags={"zz": "N"})


@pytest.mark.parametrize("flag", ["", "NNNNN", 1, None])
def test_reading_flags_must_be_short_strings(flag: object) -> None:
    with pytest.raises(InvalidInputError, match="bad data flag"):
        Reading("p1", T, ReadingKind.MINUTE, {"p": 1.0, "q": 2.0}, flags={"q": "N", "p": flag})  # type: ignore[dict-item]


def test_reading_with_huge_finite_values_is_accepted_and_ints_become_floats() -> None:
    # their sum overflows to inf: the bulk check fails and the per-item check must accept them
    r = Reading("p1", T, ReadingKind.MINUTE, {"p": 1e308, "q": 1e308, "s": 3})
    assert r.values == {"p": 1e308, "q": 1e308, "s": 3.0} and type(r.values["s"]) is float


def test_reading_is_immutable_including_its_mappings() -> None:
    r = Reading("p1", T, "minute", {"p": 1.0}, raw={"x1": {"Rtd": "1"}})  # type: ignore[arg-type]
    assert r.kind is ReadingKind.MINUTE
    with pytest.raises(TypeError):
        r.values["p"] = 2.0  # type: ignore[index]
    with pytest.raises(TypeError):
        r.raw["x1"]["Rtd"] = "2"  # type: ignore[index]


def test_standard_quantity_set_covers_the_notice_items() -> None:
    # 附件3 二.2: per-phase U and I, per-phase and total P, Q, PF, frequency, energies, phase angles, demand
    needed = {"ua", "ub", "uc", "ia", "ib", "ic", "pa", "pb", "pc", "p", "qa", "qb", "qc", "q", "pf", "pfa"}
    needed |= {"freq", "ep_fwd", "ep_rev", "eq_fwd", "eq_rev", "angle_ua", "angle_ia", "demand"}
    assert needed <= QUANTITIES and COUNTERS <= QUANTITIES


def test_aggregate_rejects_negative_energy() -> None:
    with pytest.raises(InvalidInputError):
        Aggregate("p1", AggregatePeriod.HOUR, T, samples=1, energy_kwh=-0.1)


def test_completeness_ratio_is_capped_and_handles_zero_expected() -> None:
    assert Completeness("p1", date(2026, 11, 28), ReadingKind.MINUTE, 1440, 1500).ratio == 1.0
    assert Completeness("p1", date(2026, 11, 28), ReadingKind.MINUTE, 0, 0).ratio == 1.0
    assert Completeness("p1", date(2026, 11, 28), ReadingKind.MINUTE, 1440, 720).ratio == 0.5


def test_completeness_day_must_be_a_plain_date() -> None:
    with pytest.raises(InvalidInputError):
        Completeness("p1", T, ReadingKind.MINUTE, 1, 1)  # type: ignore[arg-type]
