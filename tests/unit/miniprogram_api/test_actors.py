"""The API-role → workflow-actor mapping: every role the policy lets change an alarm has an actor."""

from __future__ import annotations

import pytest

from miniprogram_api.chalicelib.actors import ACTOR_ROLES
from miniprogram_api.chalicelib.policy import POLICY
from monitoring.accounts.models import Role
from monitoring.alarms.models import ActorRole

pytestmark = pytest.mark.unit


def test_every_role_allowed_a_workflow_step_is_an_actor() -> None:
    steps = [a for a in POLICY if a.startswith("alarms.") and a != "alarms.read"]
    assert steps, "the alarm workflow's policy rows are gone"
    for action in steps:
        assert POLICY[action] <= ACTOR_ROLES.keys(), action


def test_the_mapping_follows_the_issue() -> None:
    assert ACTOR_ROLES == {
        Role.ENTERPRISE: ActorRole.ENTERPRISE,
        Role.INSTALLER: ActorRole.PROVIDER,
        Role.BRANCH: ActorRole.BRANCH,
        Role.AIR: ActorRole.BUREAU,
        Role.EMERGENCY: ActorRole.BUREAU,
        Role.ADMIN: ActorRole.BUREAU,
    }
    assert Role.TOWN not in ACTOR_ROLES and Role.VIEWER not in ACTOR_ROLES  # they read only
