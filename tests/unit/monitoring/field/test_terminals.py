"""Terminal views: visibility by enterprise and assigned MN, online only with a recent frame, paging."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.errors import NotFoundError
from monitoring.field.terminals import Visibility, terminal_view, terminal_views
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


@pytest.fixture
def fleet(store: Store) -> Store:
    r = store.registry
    t = r.get_terminal("MN0001")
    r.put_terminal(dataclasses.replace(t, enterprise_id="e1", online=True, last_frame_at=NOW - timedelta(minutes=1)))
    r.put_point(dataclasses.replace(r.get_point("p1"), mn="MN0001", channel="01"))
    r.put_terminal(b.terminal("MN0002", enterprise_id="e2", online=True, last_frame_at=NOW - timedelta(hours=2)))
    r.put_terminal(b.terminal("MN0003"))  # in stock, not bound yet
    return store


def test_county_wide_caller_sees_all_with_points_and_names(fleet: Store) -> None:
    views, cursor = terminal_views(fleet.registry, Visibility("rugao", None), now=NOW)
    assert [v.terminal.mn for v in views] == ["MN0001", "MN0002", "MN0003"] and cursor is None
    assert views[0].enterprise_name == "企业e1" and [p.point_id for p in views[0].points] == ["p1"]
    # a terminal whose last frame is two hours old is not shown online, whatever its flag says
    assert [v.online_now(NOW) for v in views] == [True, False, False]


def test_scoped_caller_sees_its_enterprises_and_assigned_terminals_only(fleet: Store) -> None:
    installer = Visibility("rugao", frozenset({"e1"}), frozenset({"MN0003"}))
    views, _ = terminal_views(fleet.registry, installer, now=NOW)
    assert [v.terminal.mn for v in views] == ["MN0001", "MN0003"]
    with pytest.raises(NotFoundError):
        terminal_view(fleet.registry, "MN0002", installer)
    with pytest.raises(NotFoundError):
        terminal_view(fleet.registry, "MN0001", Visibility("other-county", None))


def test_filters_and_cursor(fleet: Store) -> None:
    everyone = Visibility("rugao", None)
    page, cursor = terminal_views(fleet.registry, everyone, now=NOW, limit=2)
    assert [v.terminal.mn for v in page] == ["MN0001", "MN0002"] and cursor == "MN0002"
    rest, end = terminal_views(fleet.registry, everyone, now=NOW, after=cursor, limit=2)
    assert [v.terminal.mn for v in rest] == ["MN0003"] and end is None
    online, _ = terminal_views(fleet.registry, everyone, now=NOW, online=True)
    assert [v.terminal.mn for v in online] == ["MN0001"]
    mine, _ = terminal_views(fleet.registry, everyone, now=NOW, enterprise_id="e2")
    assert [v.terminal.mn for v in mine] == ["MN0002"]
