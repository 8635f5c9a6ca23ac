"""What an account may see: the enterprises of its scope (None = the whole county), from the registry."""

from __future__ import annotations

from typing import Protocol

from monitoring.accounts.models import COUNTY_ROLES, Account, Role
from monitoring.registry.models import Enterprise, MonitoringPoint
from monitoring.registry.terminal import Terminal


class ScopeRegistry(Protocol):
    """The part of the registry scope needs (`Store.registry` has it)."""

    def list_enterprises(
        self, county_id: str, *, town_id: str | None = None, branch_id: str | None = None
    ) -> list[Enterprise]: ...
    def find_enterprise(self, enterprise_id: str) -> Enterprise | None: ...
    def find_terminal(self, mn: str) -> Terminal | None: ...
    def points_for_mn(self, mn: str) -> list[MonitoringPoint]: ...


def visible_enterprise_ids(account: Account, registry: ScopeRegistry) -> frozenset[str] | None:
    """None for the county roles (admin, air, emergency, viewer: every enterprise of their county); otherwise
    the ids: branch → its branch's enterprises, town → its town's, enterprise → its own, installer → its
    assigned enterprises plus those its assigned terminals are bound to. A disabled account sees nothing."""
    if account.disabled:
        return frozenset()
    if account.role in COUNTY_ROLES:
        return None
    if account.role is Role.BRANCH:
        return frozenset(
            e.enterprise_id for e in registry.list_enterprises(account.county_id, branch_id=account.branch_id)
        )
    if account.role is Role.TOWN:
        return frozenset(e.enterprise_id for e in registry.list_enterprises(account.county_id, town_id=account.town_id))
    ids = set(account.enterprise_ids)
    if account.role is Role.INSTALLER:
        for mn in account.terminal_mns:
            terminal = registry.find_terminal(mn)
            if terminal is not None and terminal.enterprise_id is not None:
                ids.add(terminal.enterprise_id)
            ids.update(p.enterprise_id for p in registry.points_for_mn(mn))
    return frozenset(ids)


def can_see_enterprise(account: Account, enterprise_id: str, registry: ScopeRegistry) -> bool:
    """Whether the enterprise is in the account's scope (and in its county: ids of other counties are not)."""
    enterprise = registry.find_enterprise(enterprise_id)
    if enterprise is None or enterprise.county_id != account.county_id:
        return False
    visible = visible_enterprise_ids(account, registry)
    return visible is None or enterprise_id in visible
