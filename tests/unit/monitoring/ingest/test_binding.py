"""Binding groups a frame's values per channel key, keeping frame order, however the channels are spelled."""

from __future__ import annotations

import pytest

from monitoring.ingest.binding import _by_channel
from monitoring.profiles.mapping import MappedValue
from monitoring.profiles.models import channel_key

pytestmark = pytest.mark.unit


def _value(channel: str, quantity: str) -> MappedValue:
    return MappedValue(channel, quantity, "value", 1.0, "1", frozenset(), "N", quantity + channel)


@pytest.mark.parametrize(
    "channels",
    [["01", "02", "01", "02"], ["1", "01", "02", "1", "001"], ["", "0", "00", "A"], []],
    ids=["distinct", "same-channel-spelled-twice", "zero-and-blank", "none"],
)
def test_values_are_grouped_per_channel_key_in_frame_order(channels: list[str]) -> None:
    values = [_value(ch, f"q{i}") for i, ch in enumerate(channels)]
    expected: dict[str, list[MappedValue]] = {}
    for v in values:
        expected.setdefault(channel_key(v.channel), []).append(v)
    got = _by_channel(values)
    assert got == expected and list(got) == list(expected)
