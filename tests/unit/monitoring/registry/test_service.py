"""Registry services: installation progress, exemptions, binding (against the in-memory store)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from monitoring.clock import FixedClock
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.registry import service
from monitoring.registry.models import ExemptionReason, InstallStatus, PointStatus
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

pytestmark = pytest.mark.unit
S = InstallStatus


@pytest.fixture
def store() -> Store:
    s = memory_store()
    b.seed_jurisdictions(s.registry)
    s.registry.put_enterprise(b.enterprise("e1"))
    s.registry.put_enterprise(b.enterprise("e2"))
    s.registry.put_facility(b.facility("f1"))
    s.registry.put_point(b.point("p1"))
    s.registry.put_terminal(b.terminal("MN0001"))
    return s


def test_install_status_advances_one_step_at_a_time(store: Store) -> None:
    for target in (S.SURVEYED, S.INSTALLED, S.NETWORKED, S.TRIAL_RUN, S.ACCEPTED, S.FILED):
        assert service.advance_install_status(store.registry, "e1", target).install_status is target


def test_install_status_skipping_a_step_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="逐步"):
        service.advance_install_status(store.registry, "e1", S.INSTALLED)
    assert store.registry.get_enterprise("e1").install_status is S.PENDING_SURVEY


def test_install_status_going_back_needs_a_reason(store: Store) -> None:
    service.advance_install_status(store.registry, "e1", S.SURVEYED)
    service.advance_install_status(store.registry, "e1", S.INSTALLED)
    with pytest.raises(InvalidInputError, match="原因"):
        service.advance_install_status(store.registry, "e1", S.SURVEYED)
    back = service.advance_install_status(store.registry, "e1", S.SURVEYED, reason="终端拆除重装")
    assert back.install_status is S.SURVEYED


def test_install_status_same_state_is_idempotent(store: Store) -> None:
    before = store.registry.get_enterprise("e1")
    assert service.advance_install_status(store.registry, "e1", S.PENDING_SURVEY) == before


def test_exempt_enterprise_cannot_advance_until_revoked(store: Store) -> None:
    clock = FixedClock(datetime(2026, 11, 28, tzinfo=UTC))
    e = service.grant_exemption(
        store.registry, "e1", ExemptionReason.LONG_TERM_SHUTDOWN, approved_by="王科长", clock=clock
    )
    assert e.exemption is not None and e.exemption.approved_at == clock.now()
    with pytest.raises(InvalidInputError, match="豁免"):
        service.advance_install_status(store.registry, "e1", S.SURVEYED)
    service.revoke_exemption(store.registry, "e1")
    assert service.advance_install_status(store.registry, "e1", S.SURVEYED).install_status is S.SURVEYED


def test_bind_point_attaches_terminal_to_the_enterprise(store: Store) -> None:
    point = service.bind_point(store.registry, "p1", "MN0001", channel="01")
    assert (point.mn, point.channel) == ("MN0001", "01")
    assert store.registry.get_terminal("MN0001").enterprise_id == "e1"
    assert [p.point_id for p in store.registry.points_for_mn("MN0001")] == ["p1"]
    assert service.unbind_point(store.registry, "p1").mn is None
    assert store.registry.points_for_mn("MN0001") == []


def test_bind_point_to_another_enterprises_terminal_is_refused(store: Store) -> None:
    t = store.registry.get_terminal("MN0001")
    store.registry.put_terminal(dataclasses.replace(t, enterprise_id="e2"))
    with pytest.raises(ConflictError):
        service.bind_point(store.registry, "p1", "MN0001")


def test_register_terminal_twice_is_a_conflict_and_password_change_rehashes(store: Store) -> None:
    with pytest.raises(ConflictError):
        service.register_terminal(store.registry, "MN0001", "rugao", "pw")
    from monitoring.registry.terminal import verify_password

    changed = service.change_terminal_password(store.registry, "MN0001", "new-pw")
    assert verify_password(changed, "new-pw") and not verify_password(changed, b.PASSWORD)


def test_set_point_status_moves_commissioning_to_running(store: Store) -> None:
    assert service.set_point_status(store.registry, "p1", PointStatus.RUNNING).status is PointStatus.RUNNING
