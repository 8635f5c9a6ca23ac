"""Contract suite of the general audit trail on every store: idempotent append, time range, filters, scope,
newest-first cursor paging across days, hostile cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.audit.models import AuditRecord
from monitoring.errors import InvalidInputError
from monitoring.storage.ports import Store

pytestmark = pytest.mark.contract
T = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 China time


def _rec(i: int, at: datetime, **kw: object) -> AuditRecord:
    fields: dict[str, object] = {
        "at": at,
        "actor_id": "u1",
        "actor_role": "branch",
        "source_ip": "10.0.0.8",
        "channel": "web",
        "action": "alarm.dispatch",
        "object_type": "alarm",
        "object_id": f"a{i % 3}",
        "enterprise_id": f"E{i % 2}",
        "detail": {"note": f"第{i}条", "n": i},
        "record_id": f"r{i:03d}",
    }
    fields.update(kw)
    return AuditRecord(**fields)  # type: ignore[arg-type]


def _ids(records: list[AuditRecord]) -> list[str]:
    return [r.record_id for r in records]


def test_append_roundtrip_and_idempotent(store: Store) -> None:
    trail = store.audit_trail
    record = _rec(1, T)
    trail.append(record)
    trail.append(record)
    found, cursor = trail.query(since=T, until=T + timedelta(seconds=1))
    assert found == [record] and cursor is None
    assert found[0].detail == {"note": "第1条", "n": 1}


def test_time_range_is_half_open_and_newest_first(store: Store) -> None:
    trail = store.audit_trail
    for i in range(5):
        trail.append(_rec(i, T + timedelta(minutes=i)))
    found, _ = trail.query(since=T + timedelta(minutes=1), until=T + timedelta(minutes=4))
    assert _ids(found) == ["r003", "r002", "r001"]
    assert trail.query(since=T, until=T) == ([], None)


def test_filters(store: Store) -> None:
    trail = store.audit_trail
    for i in range(12):
        trail.append(_rec(i, T + timedelta(minutes=i), actor_id=f"u{i % 4}"))
    window = {"since": T, "until": T + timedelta(hours=1)}
    assert _ids(trail.query(**window, actor_id="u1")[0]) == ["r009", "r005", "r001"]  # type: ignore[arg-type]
    by_object = trail.query(**window, object_type="alarm", object_id="a2")[0]  # type: ignore[arg-type]
    assert _ids(by_object) == ["r011", "r008", "r005", "r002"]
    assert trail.query(**window, object_type="photo")[0] == []  # type: ignore[arg-type]
    scoped = trail.query(**window, enterprise_ids={"E1"})[0]  # type: ignore[arg-type]
    assert _ids(scoped) == ["r011", "r009", "r007", "r005", "r003", "r001"]
    both = trail.query(**window, actor_id="u1", enterprise_ids=["E0", "E9"])[0]  # type: ignore[arg-type]
    assert both == []
    assert trail.query(**window, enterprise_ids=set())[0] == []  # type: ignore[arg-type]
    trail.append(_rec(20, T + timedelta(minutes=20), action="alarm.dispatch.denied"))
    assert _ids(trail.query(**window, action="alarm.dispatch.denied")[0]) == ["r020"]  # type: ignore[arg-type]
    assert len(trail.query(**window, action="alarm.dispatch", limit=100)[0]) == 12  # type: ignore[arg-type]


def test_cursor_pages_through_everything_across_days(store: Store) -> None:
    trail = store.audit_trail
    # 30 records over three China days, two of them at the same instant (ordered by record_id).
    times = [T + timedelta(hours=5 * i) for i in range(29)] + [T + timedelta(hours=5 * 7)]
    for i, at in enumerate(times):
        trail.append(_rec(i, at))
    expected = [
        r.record_id
        for r in sorted((_rec(i, at) for i, at in enumerate(times)), key=lambda r: (r.at, r.record_id), reverse=True)
    ]
    filters: list[dict[str, Any]] = [
        {},
        {"enterprise_ids": {"E0"}},
        {"actor_id": "u1"},
        {"object_type": "alarm", "object_id": "a1"},
    ]
    for kwargs in filters:
        seen: list[str] = []
        cursor = None
        for _ in range(20):
            page, cursor = trail.query(since=T, until=T + timedelta(days=10), limit=4, cursor=cursor, **kwargs)
            assert len(page) <= 4
            seen += _ids(page)
            if cursor is None:
                break
        want = [x for x in expected if _matches(int(x[1:]), kwargs)]
        assert seen == want, kwargs


def _matches(i: int, kwargs: dict[str, Any]) -> bool:
    if "enterprise_ids" in kwargs:
        return bool(f"E{i % 2}" in kwargs["enterprise_ids"])
    if "object_id" in kwargs:
        return bool(f"a{i % 3}" == kwargs["object_id"])
    return True


def test_bad_arguments(store: Store) -> None:
    trail = store.audit_trail
    trail.append(_rec(1, T))
    for cursor in ["not-a-cursor", "!!!", "x" * 1000, "MTIz"]:  # "MTIz" = "123": no record id
        with pytest.raises(InvalidInputError):
            trail.query(since=T, until=T + timedelta(days=1), cursor=cursor)
    for limit in [0, 501, -1]:
        with pytest.raises(InvalidInputError):
            trail.query(since=T, until=T + timedelta(days=1), limit=limit)
    with pytest.raises(InvalidInputError):
        trail.query(since=T.replace(tzinfo=None), until=T + timedelta(days=1))
