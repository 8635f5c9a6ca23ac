"""Which enterprises an account may see (issue 14 scope table), from the registry.

Interim: monitoring.accounts.scope (the accounts engineer's, step 2) replaces this module when it lands.
"""

from __future__ import annotations

from monitoring.accounts.models import COUNTY_ROLES, Account, Role
from monitoring.storage.ports import RegistryRepository


def visible_enterprise_ids(account: Account, registry: RegistryRepository) -> frozenset[str] | None:
    """None = the whole county (admin, air, emergency, viewer); else the ids the role's scope holds."""
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
            ids.update(p.enterprise_id for p in registry.points_for_mn(mn))
    return frozenset(ids)
