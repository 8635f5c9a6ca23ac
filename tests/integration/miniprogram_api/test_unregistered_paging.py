"""Unregistered MNs over HTTP, paged by cursor: every MN once across the pages, most recently seen first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.accounts.models import Role
from monitoring.events.models import Event, EventKind
from tests.integration.miniprogram_api.conftest import Api

pytestmark = pytest.mark.integration


def test_unregistered_terminals_come_in_cursor_pages(api: Api) -> None:
    now = datetime.now(UTC)
    mns = [f"UNREGPAGE{n:04d}" for n in range(5)]
    api.store.events.put_events(
        Event(
            mn,
            EventKind.UNREGISTERED_SEEN,
            now - timedelta(minutes=10 + n),
            received_at=now - timedelta(minutes=10 + n),
        )
        for n, mn in enumerate(mns)
    )
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        reply = api.client.get("/unregistered-terminals", token=api.token(Role.INSTALLER), query=query)
        assert reply.status == 200 and len(reply.json["items"]) <= 2, reply
        seen += [u["mn"] for u in reply.json["items"] if u["mn"].startswith("UNREGPAGE")]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
    assert seen == mns  # newest first, none twice, none lost
    bad = api.client.get("/unregistered-terminals", token=api.token(Role.INSTALLER), query={"cursor": "eyJ4IjoxfQ"})
    assert bad.status == 422 and bad.json["field"] == "cursor"
