"""The random-inspection objects of the API tests' county: a pool per branch (the matrix's branch account and one
colleague inside; two others outside) and a draw per branch of far-future period 2099-12."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from monitoring.accounts.models import Account, Role
from monitoring.random_checks import service
from monitoring.storage.ports import Store

COUNTY = "rugao"
_periods = itertools.count(2100)


def add_random_check_objects(store: Store, world: Any) -> None:
    now = datetime.now(UTC)
    branch_user = world.accounts[Role.BRANCH]
    members = {"in": [branch_user.id], "out": []}
    for scope, n in (("in", 1), ("out", 1), ("out", 2)):
        account = Account(f"insp-{scope}-{n}", f"insp_{scope}_{n}", f"检查员{scope}{n}", Role.BRANCH, COUNTY,
                          branch_id=f"branch-{scope}")  # fmt: skip
        store.accounts.put_account(account)
        members[scope].append(account.id)
    for scope in ("in", "out"):
        service.set_pool(store, COUNTY, f"branch-{scope}", members[scope], by="world", now=now)
        draw, checks = service.make_draw(store, COUNTY, f"branch-{scope}", "2099-12", 200, by="world", now=now,
                                         seed=f"world-seed-{scope}")  # fmt: skip
        ids = world.inside if scope == "in" else world.outside
        ids.update(branch_id=f"branch-{scope}", draw_id=draw.draw_id,
                   check_id=next(c.check_id for c in checks if c.enterprise_id == f"ent-{scope}"))  # fmt: skip


def fresh_draw(store: Store, scope: str) -> tuple[str, str]:
    """A new draw of the scope's branch (a period of its own) and the check of the scope's enterprise."""
    draw, checks = service.make_draw(store, COUNTY, f"branch-{scope}", f"{next(_periods)}-12", 200, by="matrix",
                                     now=datetime.now(UTC))  # fmt: skip
    return draw.draw_id, next(c.check_id for c in checks if c.enterprise_id == f"ent-{scope}")
