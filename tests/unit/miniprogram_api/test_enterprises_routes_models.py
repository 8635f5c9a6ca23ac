"""The enterprise routes' enum literals are exactly the domain's codes (a new code would otherwise be a 500)."""

from __future__ import annotations

from enum import Enum
from typing import Any, get_args

import pytest

from miniprogram_api.chalicelib.routes import enterprises as routes
from monitoring.registry.models import ContactRole, EnterpriseCategory, ExemptionReason, InstallStatus
from monitoring.views import status


@pytest.mark.unit
@pytest.mark.parametrize(
    ("literal", "codes"),
    [
        (routes.CategoryCode, EnterpriseCategory),
        (routes.InstallCode, InstallStatus),
        (routes.ExemptionCode, ExemptionReason),
        (routes.ContactRoleCode, ContactRole),
        (routes.StatusCode, status.STATUSES),
    ],
)
def test_literals_match_the_domain(literal: Any, codes: type[Enum] | tuple[str, ...]) -> None:
    values = [m.value for m in codes] if isinstance(codes, type) else list(codes)
    assert sorted(get_args(literal)) == sorted(values)
