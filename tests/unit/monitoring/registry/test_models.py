"""Registry records validate what a person or a sheet can get wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitoring.errors import InvalidInputError
from monitoring.registry.models import (
    AssociationParams,
    Contact,
    ContactRole,
    EnterpriseCategory,
    Exemption,
    ExemptionReason,
    FacilityKind,
    InstallStatus,
    PointStatus,
)
from tests.contract.storage import builders as b

pytestmark = pytest.mark.unit


def test_labelled_enum_parse_accepts_code_or_chinese_label() -> None:
    assert EnterpriseCategory.parse("大气管控企业") is EnterpriseCategory.AIR_CONTROL
    assert EnterpriseCategory.parse(" permit ") is EnterpriseCategory.PERMIT
    assert FacilityKind.parse("产治一体") is FacilityKind.COMBINED
    assert PointStatus.RUNNING.label == "运行"


def test_labelled_enum_parse_with_unknown_text_lists_the_choices() -> None:
    with pytest.raises(InvalidInputError, match="大气管控企业、排污许可证企业"):
        EnterpriseCategory.parse("重点企业")


def test_install_status_ranks_follow_the_campaign_order() -> None:
    labels = [s.label for s in sorted(InstallStatus, key=lambda s: s.rank)]
    assert labels == ["待勘察", "已勘察", "已安装", "已联网", "试运行", "已验收", "已备案"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"enterprise_id": "has space"},
        {"enterprise_id": ""},
        {"name": "   "},
        {"name": "bad\x00name"},
        {"credit_code": "12345"},
        {"credit_code": "91320682MA1XXXXX0I"},  # I is not in the code alphabet
    ],
)
def test_enterprise_with_invalid_field_raises_invalid_input(overrides: dict[str, str]) -> None:
    with pytest.raises(InvalidInputError):
        b.enterprise(**overrides)


def test_contact_phone_and_exemption_approver_are_checked() -> None:
    assert Contact("李四", ContactRole.ELECTRICIAN, "0513-87654321").phone == "0513-87654321"
    with pytest.raises(InvalidInputError):
        Contact("李四", ContactRole.ELECTRICIAN, "call me")
    with pytest.raises(InvalidInputError):
        Exemption(ExemptionReason.TO_BE_CLOSED, " ", datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("code", ["MF0001", "TA001", "ZJX01", "DA001"])
def test_facility_code_in_permit_style_is_accepted(code: str) -> None:
    assert b.facility(code=code).code == code


@pytest.mark.parametrize("code", ["mf0001", "MF", "0001", "MF-0001", "TOOLONG001"])
def test_facility_code_not_in_permit_style_is_rejected(code: str) -> None:
    with pytest.raises(InvalidInputError):
        b.facility(code=code)


def test_facility_rated_values_must_be_positive() -> None:
    with pytest.raises(InvalidInputError):
        b.facility(rated_power_kw=0.0)
    with pytest.raises(InvalidInputError):
        b.facility(rated_current_a=-5.0)


@pytest.mark.parametrize(
    "overrides",
    [
        {"ct_ratio": 0.0},
        {"pt_ratio": -1.0},
        {"ct_ratio": 1e6},
        {"mn": "MN with space"},
        {"mn": "A" * 25},
        {"channel": "0-1"},
    ],
)
def test_point_with_invalid_wiring_raises_invalid_input(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        b.point(**overrides)


def test_association_needs_production_and_distinct_control() -> None:
    with pytest.raises(InvalidInputError):
        b.association(production_facility_ids=())
    with pytest.raises(InvalidInputError):
        b.association(control_facility_id="f1", production_facility_ids=("f1",))


@pytest.mark.parametrize(
    "overrides",
    [
        {"low_load_ratio": 0.0},
        {"low_load_ratio": 1.5},
        {"start_lead_s": -1},
        {"stop_lag_s": 86_401},
        {"control_on_kw": -1.0},
    ],
)
def test_association_params_out_of_range_raise_invalid_input(overrides: dict[str, float]) -> None:
    with pytest.raises(InvalidInputError):
        AssociationParams(**overrides)  # type: ignore[arg-type]


def test_association_params_extra_is_frozen() -> None:
    params = AssociationParams(extra={"k": 1.0})
    with pytest.raises(TypeError):
        params.extra["k"] = 2.0  # type: ignore[index]
