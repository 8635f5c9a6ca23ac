"""The listener↔domain contract: one frame record, AuthStatus, CommandStatus and REPLY_CNS for both sides."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from hj212.contract import REPLY_CNS, AuthStatus, CommandStatus, FrameRecord, record_doc

AT = datetime(2026, 11, 28, 10, 33, 46, tzinfo=UTC)


@pytest.mark.unit
def test_record_doc_is_the_wire_object_of_contracts_section_2() -> None:
    doc = record_doc(
        raw=b"##0001x",
        received_at=AT,
        peer="203.0.113.7:50122",
        mn=None,
        cn="2051",
        qn=None,
        listener="l1",
        session="s1",
        auth=AuthStatus.UNREGISTERED,
        crc="modbus",
    )
    assert doc == {
        "v": 1,
        "frame": base64.b64encode(b"##0001x").decode("ascii"),
        "received_at": "2026-11-28T10:33:46.000000+00:00",  # always microseconds: a fixed-width sortable time
        "peer": "203.0.113.7:50122",
        "mn": None,
        "cn": "2051",
        "qn": None,
        "listener": "l1",
        "session": "s1",
        "auth": "unregistered",
        "crc": "modbus",
    }
    json.dumps(doc)  # plain JSON types only


@pytest.mark.unit
def test_a_frame_record_writes_the_same_object() -> None:
    record = FrameRecord("MN1", b"F", AT, "p", AuthStatus.OK, "hj212", "2011", "20261128183346000", "l", "s")
    assert record.to_doc() == record_doc(
        raw=b"F",
        received_at=AT,
        peer="p",
        mn="MN1",
        cn="2011",
        qn="20261128183346000",
        listener="l",
        session="s",
        auth=AuthStatus.OK,
        crc="hj212",
    )


@pytest.mark.unit
def test_final_command_states_are_the_outcomes() -> None:
    final = {s for s in CommandStatus if s.final}
    assert final == {
        CommandStatus.REJECTED,
        CommandStatus.SUCCEEDED,
        CommandStatus.FAILED,
        CommandStatus.TIMED_OUT,
        CommandStatus.EXPIRED,
    }


@pytest.mark.unit
def test_auth_values_and_reply_cns_are_the_wire_codes() -> None:
    assert [a.value for a in AuthStatus] == ["ok", "unregistered", "auth_failed"]
    assert REPLY_CNS == {"9011", "9012", "9013", "9014"}
