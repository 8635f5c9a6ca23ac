"""Binding a terminal channel to a point: new terminals, versions, stealing refused unless re-binding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.archive.models import AuthStatus
from monitoring.clock import FixedClock
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.field.binding import BindRequest, bind_terminal, decode_early_frames
from monitoring.profiles.loader import DEFAULT_PROFILE_ID
from monitoring.registry.terminal import verify_password
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

pytestmark = pytest.mark.unit
NEW_MN = "010000A8900016F000169DC0"


def _bind(store: Store, mn: str, point_id: str, **kw: object) -> object:
    version = store.registry.get_point(point_id).version
    fields: dict[str, object] = {"point_version": version, **kw}
    return bind_terminal(store.registry, BindRequest(mn=mn, point_id=point_id, **fields), county_id="rugao")  # type: ignore[arg-type]


def test_new_terminal_is_registered_and_bound_with_its_ratio(store: Store) -> None:
    result = _bind(store, NEW_MN, "p1", channel="01", ct_ratio=200.0, password="abc123")
    point = store.registry.get_point("p1")
    assert (point.mn, point.channel, point.ct_ratio) == (NEW_MN, "01", 200.0)
    terminal = store.registry.get_terminal(NEW_MN)
    assert terminal.enterprise_id == "e1" and verify_password(terminal, "abc123")
    assert result.created_terminal and result.previous_mn is None  # type: ignore[attr-defined]


def test_new_terminal_needs_a_password(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        _bind(store, NEW_MN, "p1", channel="01")
    assert store.registry.find_terminal(NEW_MN) is None and store.registry.get_point("p1").mn is None


def test_stale_version_is_a_conflict(store: Store) -> None:
    version = store.registry.get_point("p1").version
    _bind(store, "MN0001", "p1", channel="01")
    with pytest.raises(ConflictError):
        bind_terminal(store.registry, BindRequest("MN0001", "p1", version, channel="02"), county_id="rugao")


def test_point_held_by_another_terminal_is_taken_only_when_rebinding(store: Store) -> None:
    _bind(store, "MN0001", "p1", channel="01")
    with pytest.raises(ConflictError, match="重新绑定"):
        _bind(store, NEW_MN, "p1", channel="01", password="abc123")
    assert store.registry.find_terminal(NEW_MN) is None  # nothing written
    result = _bind(store, NEW_MN, "p1", channel="01", password="abc123", rebind=True)
    assert store.registry.get_point("p1").mn == NEW_MN and result.previous_mn == "MN0001"  # type: ignore[attr-defined]


def test_one_channel_measures_one_point(store: Store) -> None:
    _bind(store, "MN0001", "p1", channel="01")
    with pytest.raises(ConflictError, match="通道"):
        _bind(store, "MN0001", "p2", channel="01")
    _bind(store, "MN0001", "p2", channel="02")
    assert [p.point_id for p in store.registry.points_for_mn("MN0001")] == ["p1", "p2"]


def test_terminal_of_another_enterprise_is_refused(store: Store) -> None:
    _bind(store, "MN0001", "p1", channel="01")
    with pytest.raises(ConflictError, match="其他企业"):
        _bind(store, "MN0001", "q1", channel="02")


@pytest.mark.parametrize(
    ("mn", "kw"),
    [
        ("MN-0001", {"channel": "01"}),
        ("MN0001", {"channel": "01;DROP"}),
        ("MN0001", {"channel": "01", "ct_ratio": 0.0}),
        ("MN0001", {"channel": "01", "ct_ratio": 1e9}),
        ("MN0001", {"channel": "01", "password": "x"}),  # a registered terminal's password changes by command
    ],
)
def test_bad_input_is_refused(store: Store, mn: str, kw: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        _bind(store, mn, "p1", **kw)
    assert store.registry.get_point("p1").mn is None


def test_unknown_point_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        bind_terminal(store.registry, BindRequest("MN0001", "nope", 1), county_id="rugao")


def test_early_frames_of_a_long_chain_are_left_to_a_run_apart(store: Store) -> None:
    at = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    for i in range(3):
        store.archive.append(b.raw_frame("MN0001", at + timedelta(seconds=i), payload=f"f{i}".encode(),
                                         auth=AuthStatus.UNREGISTERED))  # fmt: skip
    # the default profile is present but never read on these paths (the chain is not walked)
    profiles: Any = {DEFAULT_PROFILE_ID: object()}
    assert decode_early_frames(store, "MN0001", FixedClock(at), profiles, limit=2) is None
    assert decode_early_frames(store, "MN9999", FixedClock(at), profiles) == 0  # nothing archived


def test_early_frames_wait_when_no_profiles_are_at_hand(store: Store) -> None:
    at = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    store.archive.append(b.raw_frame("MN0001", at, auth=AuthStatus.UNREGISTERED))
    assert decode_early_frames(store, "MN0001", FixedClock(at), {}) is None
