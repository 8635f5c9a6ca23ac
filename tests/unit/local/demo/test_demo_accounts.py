"""The demo's accounts: one per role, scoped to the list's first enterprise, made once, each able to sign in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local.demo.accounts import ensure_demo_accounts
from monitoring.accounts.models import Role
from monitoring.accounts.service import authenticate
from monitoring.registry.models import Branch, County, Enterprise, EnterpriseCategory, Town
from monitoring.storage.memory import memory_store


@pytest.mark.unit
def test_one_account_per_role_made_once_and_each_signs_in() -> None:
    store = memory_store()
    store.registry.put_county(County("rugao", "如皋市"))
    for seq, town in ((2, "t2"), (1, "t1")):
        store.registry.put_town(Town(town, "rugao", f"{town}镇"))
        store.registry.put_branch(Branch(f"b{seq}", "rugao", f"{seq}分局"))
        store.registry.put_enterprise(
            Enterprise(f"e{seq}", "rugao", f"企业{seq}", town, f"b{seq}", EnterpriseCategory.AIR_CONTROL, list_seq=seq)
        )
    first = ensure_demo_accounts(store)
    assert [a.role for a in first] == list(Role)
    assert ensure_demo_accounts(store) == first  # a second run (make demo --keep) finds them
    assert len(store.accounts.list_accounts("rugao")) == len(Role)
    now = datetime.now(UTC)
    for demo in first:
        account = authenticate(store.accounts, demo.username, demo.password, now)
        assert account.role is demo.role
    by_role = {a.role: a for a in store.accounts.list_accounts("rugao")}
    assert by_role[Role.BRANCH].branch_id == "b1" and by_role[Role.TOWN].town_id == "t1"
    assert by_role[Role.ENTERPRISE].enterprise_ids == ("e1",) == by_role[Role.INSTALLER].enterprise_ids


@pytest.mark.unit
def test_an_empty_registry_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="import the fleet first"):
        ensure_demo_accounts(memory_store())
