"""Rule parameters: defaults file, precedence of overrides, validation of hostile input."""

from __future__ import annotations

import pytest

from monitoring.errors import InvalidInputError
from monitoring.evaluation.catalogue import RULES
from monitoring.evaluation.config import load_defaults, parse_defaults

pytestmark = pytest.mark.unit


def test_defaults_cover_every_rule_in_the_catalogue() -> None:
    cfg = load_defaults()
    assert set(RULES) <= set(cfg.defaults)
    assert cfg.params("control_stopped")["min_duration_min"] == 10


def test_point_beats_association_beats_enterprise() -> None:
    cfg = load_defaults().with_overrides(
        {
            "enterprise": {"E1": {"control_stopped": {"min_duration_min": 20}}},
            "association": {"A1": {"control_stopped": {"min_duration_min": 15}}},
            "point": {"C1": {"control_stopped": {"min_duration_min": 5}}},
        }
    )
    assert cfg.params("control_stopped", enterprise="E1")["min_duration_min"] == 20
    assert cfg.params("control_stopped", enterprise="E1", association="A1")["min_duration_min"] == 15
    assert cfg.params("control_stopped", enterprise="E1", association="A1", point="C1")["min_duration_min"] == 5
    assert cfg.params("control_stopped", enterprise="E2")["min_duration_min"] == 10


@pytest.mark.parametrize(
    "raw",
    [
        {"point": {"C1": {"control_stoped": {"min_duration_min": 5}}}},
        {"point": {"C1": {"control_stopped": {"min_duraton_min": 5}}}},
        {"point": {"C1": {"control_stopped": {"min_duration_min": "5"}}}},
        {"point": {"C1": {"control_stopped": {"min_duration_min": -1}}}},
        {"points": {}},
        [],
    ],
)
def test_bad_overrides_are_rejected(raw: object) -> None:
    with pytest.raises(InvalidInputError):
        load_defaults().with_overrides(raw)


def test_bad_defaults_document_is_rejected() -> None:
    with pytest.raises(InvalidInputError):
        parse_defaults({"control_stopped": {"min_duration_min": True}})
