"""One demo account per role on the demo's registry (created once; a re-run with --keep finds them), printed by
`make demo` with their passwords: a loopback demo, not an installation (docs/api.md "Demo accounts")."""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.accounts.models import ROLE_NAMES, Role
from monitoring.accounts.service import create_account
from monitoring.clock import SystemClock
from monitoring.storage.ports import Store


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    username: str
    password: str
    scope: str  # what the account sees, in words


def demo_phone(n: int) -> str:
    """A made-up mobile number (199 0000 nnnn) for demo people: their SMS go to the loopback provider stubs."""
    return f"1990000{n % 10_000:04d}"


def demo_username(role: Role) -> str:
    return f"demo_{role.value}"


def ensure_demo_accounts(store: Store, county_id: str = "rugao") -> list[DemoAccount]:
    """The accounts (made where missing). Scoped roles take the first enterprise of the list: its branch, its
    town, the enterprise itself, and for the installer its terminals too."""
    enterprises = store.registry.list_enterprises(county_id)
    if not enterprises:
        raise ValueError(f"no enterprises in county {county_id!r}: import the fleet first")
    first = min(enterprises, key=lambda e: (e.list_seq or 0, e.enterprise_id))
    terminals = sorted({p.mn for p in store.registry.list_points(first.enterprise_id) if p.mn})
    scopes = {
        Role.BRANCH: f"分局 {first.branch_id}",
        Role.TOWN: f"镇/街道 {first.town_id}",
        Role.ENTERPRISE: first.name,
        Role.INSTALLER: f"{first.name} 及其终端 {len(terminals)} 台",
    }
    now = SystemClock().now()
    made = []
    for role in Role:
        username, password = demo_username(role), f"Demo-{role.value}-2026"
        if store.accounts.find_by_username(username) is None:
            create_account(
                store.accounts,
                now,
                username=username,
                display_name=f"演示{ROLE_NAMES[role]}",
                role=role,
                county_id=county_id,
                password=password,
                phone=demo_phone(8000 + list(Role).index(role)),  # SMS reach the loopback stubs only
                branch_id=first.branch_id if role is Role.BRANCH else None,
                town_id=first.town_id if role is Role.TOWN else None,
                enterprise_ids=(first.enterprise_id,) if role in (Role.ENTERPRISE, Role.INSTALLER) else (),
                terminal_mns=tuple(terminals) if role is Role.INSTALLER else (),
            )
        made.append(DemoAccount(role, username, password, scopes.get(role, "全县")))
    return made
