"""AuditRecord validation: channel, required text, detail size, aware time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring.audit.models import AuditRecord
from monitoring.errors import InvalidInputError

T = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
GOOD: dict[str, object] = {
    "at": T,
    "actor_id": "u1",
    "actor_role": "admin",
    "source_ip": "127.0.0.1",
    "channel": "cli",
    "action": "account.create",
    "object_type": "account",
    "object_id": "u2",
}


def test_a_good_record_gets_an_id_and_utc_time() -> None:
    local = T.astimezone(timezone(timedelta(hours=8)))
    a, b = AuditRecord(**{**GOOD, "at": local}), AuditRecord(**GOOD)  # type: ignore[arg-type]
    assert a.at == T and a.at.tzinfo is UTC and a.record_id != b.record_id and a.detail == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"channel": "fax"},
        {"action": ""},
        {"actor_id": "x" * 129},
        {"enterprise_id": ""},
        {"detail": {"x": "y" * 9000}},
        {"at": T.replace(tzinfo=None)},
    ],
)
def test_bad_records_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        AuditRecord(**{**GOOD, **bad})  # type: ignore[arg-type]
