"""The scope helpers every route uses: inside one's scope the object; outside, or missing, the same 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from miniprogram_api.app import app  # noqa: F401 - declares the routes
from miniprogram_api.chalicelib.errors import ApiError
from miniprogram_api.chalicelib.framework import ROUTES, RequestContext
from miniprogram_api.chalicelib.ratelimit import RateLimiter
from miniprogram_api.chalicelib.settings import ApiSettings
from miniprogram_api.chalicelib.wiring import Services
from monitoring.accounts.models import Account, Role
from monitoring.clock import SystemClock
from monitoring.errors import NotFoundError
from monitoring.registry.models import Branch, County, Enterprise, EnterpriseCategory, Town
from monitoring.storage.memory import memory_store

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _ctx(account: Account) -> RequestContext:
    store = memory_store()
    store.registry.put_county(County("rugao", "如皋市"))
    for s in ("in", "out"):
        store.registry.put_town(Town(f"t-{s}", "rugao", "镇"))
        store.registry.put_branch(Branch(f"b-{s}", "rugao", "分局"))
        store.registry.put_enterprise(
            Enterprise(f"e-{s}", "rugao", f"企业{s}", f"t-{s}", f"b-{s}", EnterpriseCategory.AIR_CONTROL)
        )
    services = Services(ApiSettings(token_key="k" * 40), store, SystemClock(), RateLimiter(1, 1))
    return RequestContext(ROUTES[0], services, NOW, NOW, "127.0.0.1", "web", "r1", account=account)


def _account(role: Role, **scope: object) -> Account:
    return Account(id="a1", username="someone", display_name="某人", role=role, county_id="rugao", **scope)  # type: ignore[arg-type]


def _status(call: object) -> int:
    with pytest.raises(ApiError) as caught:
        call()  # type: ignore[operator]
    return caught.value.status


@pytest.mark.unit
def test_branch_sees_its_branch_only_and_out_of_scope_looks_missing() -> None:
    ctx = _ctx(_account(Role.BRANCH, branch_id="b-in"))
    assert ctx.visible_enterprise_ids() == frozenset({"e-in"})
    assert ctx.enterprise("e-in").name == "企业in"
    assert _status(lambda: ctx.enterprise("e-out")) == _status(lambda: ctx.enterprise("e-nowhere")) == 404
    found = ctx.scoped(lambda: {"enterprise_id": "e-in"}, lambda o: o["enterprise_id"])
    assert found == {"enterprise_id": "e-in"}
    assert _status(lambda: ctx.scoped(lambda: {"enterprise_id": "e-out"}, lambda o: o["enterprise_id"])) == 404


@pytest.mark.unit
def test_a_missing_object_is_the_same_404() -> None:
    ctx = _ctx(_account(Role.VIEWER))

    def missing() -> dict[str, str]:
        raise NotFoundError("alarm x")

    assert ctx.visible_enterprise_ids() is None  # the whole county
    assert _status(lambda: ctx.scoped(missing, lambda o: o["enterprise_id"])) == 404
    ctx.require_visible("e-out")  # a county role sees everything
