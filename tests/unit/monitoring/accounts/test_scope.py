"""Which enterprises each role sees, from the registry (branch, town, own, installer terminals, county)."""

from __future__ import annotations

import pytest

from monitoring.accounts.models import Account, Role
from monitoring.accounts.scope import can_see_enterprise, visible_enterprise_ids
from monitoring.registry.models import County
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.contract.storage.builders import enterprise, facility, point, seed_jurisdictions, terminal


@pytest.fixture
def store() -> Store:
    s = memory_store()
    seed_jurisdictions(s.registry)
    s.registry.put_county(County("other", "别县", "南通市", "江苏省"))
    r = s.registry
    r.put_enterprise(enterprise("e1"))  # chengbei, b1
    r.put_enterprise(enterprise("e2", town_id="rugao-jiangan", branch_id="rugao-b1"))
    r.put_enterprise(enterprise("e3", town_id="rugao-jiangan", branch_id="rugao-b6"))
    r.put_enterprise(enterprise("e4", town_id="rugao-chengbei", branch_id="rugao-b6"))
    r.put_enterprise(enterprise("x1", county_id="other"))
    r.put_terminal(terminal("MN0001", enterprise_id="e3"))
    r.put_terminal(terminal("MN0002"))  # not attached to an enterprise yet
    r.put_facility(facility("f1", enterprise_id="e4"))
    r.put_point(point("p1", enterprise_id="e4", mn="MN0002"))
    return s


def _account(role: Role, **kw: object) -> Account:
    return Account("u", "user.x", "某人", role, "rugao", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AIR, Role.EMERGENCY, Role.VIEWER])
def test_county_roles_see_the_whole_county(store: Store, role: Role) -> None:
    account = _account(role)
    assert visible_enterprise_ids(account, store.registry) is None
    assert can_see_enterprise(account, "e3", store.registry)
    assert not can_see_enterprise(account, "x1", store.registry)  # another county
    assert not can_see_enterprise(account, "nope", store.registry)


def test_branch_sees_its_branch(store: Store) -> None:
    account = _account(Role.BRANCH, branch_id="rugao-b6")
    assert visible_enterprise_ids(account, store.registry) == frozenset({"e3", "e4"})
    assert can_see_enterprise(account, "e4", store.registry) and not can_see_enterprise(account, "e1", store.registry)


def test_town_sees_its_town(store: Store) -> None:
    account = _account(Role.TOWN, town_id="rugao-jiangan")
    assert visible_enterprise_ids(account, store.registry) == frozenset({"e2", "e3"})


def test_enterprise_sees_its_own(store: Store) -> None:
    account = _account(Role.ENTERPRISE, enterprise_ids=("e1", "e2"))
    assert visible_enterprise_ids(account, store.registry) == frozenset({"e1", "e2"})
    assert not can_see_enterprise(account, "e3", store.registry)


def test_installer_sees_assigned_enterprises_and_those_of_its_terminals(store: Store) -> None:
    account = _account(Role.INSTALLER, enterprise_ids=("e1",), terminal_mns=("MN0001", "MN0002", "MN9999"))
    assert visible_enterprise_ids(account, store.registry) == frozenset({"e1", "e3", "e4"})
    only_terminals = _account(Role.INSTALLER, terminal_mns=("MN0001",))
    assert visible_enterprise_ids(only_terminals, store.registry) == frozenset({"e3"})


def test_disabled_account_sees_nothing(store: Store) -> None:
    account = _account(Role.ADMIN, disabled=True)
    assert visible_enterprise_ids(account, store.registry) == frozenset()
    assert not can_see_enterprise(account, "e1", store.registry)
