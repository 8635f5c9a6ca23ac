"""Contract: `readings.values` projects the named quantities of a range, ascending, with flags other than N, and
answers exactly what the whole readings say (sqlite reads the fields in SQL, the others project decoded readings)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.errors import InvalidInputError
from monitoring.readings.models import Reading, ReadingKind, ValueRow
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract
MIN = ReadingKind.MINUTE


def test_values_project_named_quantities_with_their_doubtful_flags(store: Store) -> None:
    store.readings.put_readings(
        [
            Reading("p1", NOW + timedelta(minutes=2), MIN, {"p": 12.5, "ia": 3.0}, {"p": "N", "ia": "D"}),
            Reading("p1", NOW, MIN, {"p": 10.0, "ua": 230.0}, {"p": "F"}),
            Reading("p1", NOW + timedelta(minutes=1), MIN, {"ua": 231.0}),
            Reading("p1", NOW + timedelta(minutes=5), MIN, {"p": 99.0}),  # outside the range
            Reading("p2", NOW, MIN, {"p": 1.0}),  # another point
            Reading("p1", NOW, ReadingKind.REALTIME, {"p": 2.0}),  # another kind
        ]
    )
    got = store.readings.values("p1", MIN, NOW, NOW + timedelta(minutes=5), ["p", "ia"])
    assert got == [
        ValueRow(NOW, {"p": 10.0}, {"p": "F"}),
        ValueRow(NOW + timedelta(minutes=1), {}, {}),
        ValueRow(NOW + timedelta(minutes=2), {"p": 12.5, "ia": 3.0}, {"ia": "D"}),
    ]
    assert [r.data_time for r in store.readings.values("p1", MIN, NOW, NOW + timedelta(hours=1), ["p"], limit=2)] == [
        NOW,
        NOW + timedelta(minutes=1),
    ]


def test_values_refuse_unknown_quantities_and_bad_ranges(store: Store) -> None:
    for names in (["p", "x') OR 1=1 --"], [], ["values"]):
        with pytest.raises(InvalidInputError):
            store.readings.values("p1", MIN, NOW, NOW + timedelta(hours=1), names)
    with pytest.raises(InvalidInputError):
        store.readings.values("p1", MIN, NOW + timedelta(hours=1), NOW, ["p"])
