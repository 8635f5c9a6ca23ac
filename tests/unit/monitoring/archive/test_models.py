"""The hash chain: any change to content, order or membership is found at the first affected record."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.archive.models import (
    GENESIS_HASH,
    ArchivedFrame,
    AuthStatus,
    RawFrame,
    link_hash,
    verify_chain,
)
from monitoring.errors import InvalidInputError

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _chain(n: int) -> list[ArchivedFrame]:
    out, prev = [], GENESIS_HASH
    for i in range(n):
        f = RawFrame("MN1", b"frame-%d" % i, T + timedelta(seconds=i), "1.2.3.4:5", AuthStatus.OK)
        h = link_hash(prev, f)
        out.append(ArchivedFrame(f, i + 1, prev, h))
        prev = h
    return out


def test_verify_chain_accepts_an_intact_chain() -> None:
    result = verify_chain("MN1", _chain(5))
    assert result.ok and result.checked == 5 and result.first_broken_seq is None


@pytest.mark.parametrize("field", ["raw", "peer", "auth", "received_at"])
def test_verify_chain_finds_a_changed_field_at_its_record(field: str) -> None:
    chain = _chain(5)
    f = chain[2].frame
    changed = {
        "raw": b"frame-X",
        "peer": "9.9.9.9:9",
        "auth": AuthStatus.AUTH_FAILED,
        "received_at": f.received_at + timedelta(microseconds=1),
    }[field]
    chain[2] = dataclasses.replace(chain[2], frame=dataclasses.replace(f, **{field: changed}))
    result = verify_chain("MN1", chain)
    assert not result.ok and result.first_broken_seq == 3 and result.checked == 2


def test_verify_chain_finds_a_rehashed_record_at_the_next_link() -> None:
    # A forger who also recomputes the tampered record's own hash still breaks the following link.
    chain = _chain(4)
    forged = dataclasses.replace(chain[1].frame, raw=b"forged")
    chain[1] = ArchivedFrame(forged, 2, chain[1].prev_hash, link_hash(chain[1].prev_hash, forged))
    result = verify_chain("MN1", chain)
    assert not result.ok and result.first_broken_seq == 3


def test_verify_chain_finds_a_removed_or_swapped_record() -> None:
    chain = _chain(4)
    assert verify_chain("MN1", chain[:1] + chain[2:]).first_broken_seq == 2
    swapped = [chain[0], chain[2], chain[1], chain[3]]
    assert verify_chain("MN1", swapped).first_broken_seq == 2


def test_verify_chain_rejects_a_record_of_another_terminal() -> None:
    assert not verify_chain("MN2", _chain(1)).ok


def test_verify_chain_continues_from_a_given_link() -> None:
    chain = _chain(6)
    assert verify_chain("MN1", chain[3:], prev_hash=chain[2].hash, first_seq=4).ok
    assert not verify_chain("MN1", chain[3:]).ok


def test_canonical_form_is_stable_and_covers_raw_bytes() -> None:
    f = RawFrame("MN1", b"\x00\xff##", T, "p", AuthStatus.OK)
    assert f.canonical() == dataclasses.replace(f).canonical()
    assert f.canonical() != dataclasses.replace(f, raw=b"\x00\xfe##").canonical()
    assert link_hash(GENESIS_HASH, f) != link_hash("1" * 64, f)


def test_raw_frame_limits() -> None:
    with pytest.raises(InvalidInputError):
        RawFrame("", b"x", T, "p", AuthStatus.OK)
    with pytest.raises(InvalidInputError):
        RawFrame("MN1", b"x" * 16_385, T, "p", AuthStatus.OK)
    with pytest.raises(InvalidInputError):
        RawFrame("MN1", b"x", datetime(2026, 1, 1), "p", AuthStatus.OK)


@settings(max_examples=60, deadline=None)
@given(length=st.integers(min_value=1, max_value=8), data=st.data())
def test_verify_chain_finds_any_single_byte_change_at_its_record(length: int, data: st.DataObject) -> None:
    # Given an intact chain and one flipped byte in one record's raw bytes
    chain = _chain(length)
    index = data.draw(st.integers(min_value=0, max_value=length - 1))
    raw = bytearray(chain[index].frame.raw)
    pos = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[pos] ^= data.draw(st.integers(min_value=1, max_value=255))
    chain[index] = dataclasses.replace(chain[index], frame=dataclasses.replace(chain[index].frame, raw=bytes(raw)))
    # Then verification stops exactly there
    result = verify_chain("MN1", chain)
    assert not result.ok and result.first_broken_seq == index + 1 and result.checked == index
