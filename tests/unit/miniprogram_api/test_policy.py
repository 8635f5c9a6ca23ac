"""The policy table is data: every route's action has a row (or is public), every row names real roles."""

from __future__ import annotations

import pytest

from miniprogram_api.app import app  # noqa: F401 - importing the app declares every route
from miniprogram_api.chalicelib.framework import ROUTES
from miniprogram_api.chalicelib.policy import POLICY, PUBLIC_ACTIONS, allowed
from monitoring.accounts.models import Role


@pytest.mark.unit
def test_every_route_action_is_in_the_table_or_public() -> None:
    missing = [f"{s.method} {s.path}: {s.action}" for s in ROUTES if not s.public and s.action not in POLICY]
    public_unlisted = [f"{s.method} {s.path}" for s in ROUTES if s.public and s.action not in PUBLIC_ACTIONS]
    assert missing == [] and public_unlisted == []


@pytest.mark.unit
def test_public_actions_are_not_also_policy_rows() -> None:
    assert PUBLIC_ACTIONS.isdisjoint(POLICY)


@pytest.mark.unit
def test_rows_name_only_known_roles_and_admin_may_do_everything() -> None:
    for action, roles in POLICY.items():
        assert roles <= set(Role), action
        assert Role.ADMIN in roles, f"{action}: admin may do everything (issue 14)"


@pytest.mark.unit
def test_an_unknown_action_is_allowed_to_nobody() -> None:
    assert not any(allowed(role, "nothing.here") for role in Role)
    assert allowed(Role.ADMIN, "accounts.create") and not allowed(Role.AIR, "accounts.create")
