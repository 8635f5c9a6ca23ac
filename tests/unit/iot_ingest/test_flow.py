"""ReadFlow: reading pauses for any reason and resumes only when no reason is left."""

from __future__ import annotations

import pytest

from iot_ingest.flow import Pause, ReadFlow
from tests.unit.iot_ingest.fakes import FakeTransport

pytestmark = pytest.mark.unit


def test_ReadFlow_resuming_one_reason_keeps_reading_paused_while_another_holds() -> None:
    transport = FakeTransport()
    flow = ReadFlow(transport)
    # Given reading paused for unacknowledged frames and for a slow directory
    flow.pause(Pause.UNACKED)
    flow.pause(Pause.DIRECTORY)
    # When the frames become durable
    flow.resume(Pause.UNACKED)
    # Then the directory still holds reading paused, and says so
    assert not transport.reading and flow.paused and flow.reasons == Pause.DIRECTORY
    flow.resume(Pause.DIRECTORY)
    assert transport.reading and not flow.paused and flow.reasons == Pause(0)


def test_ReadFlow_pausing_twice_for_one_reason_needs_one_resume() -> None:
    transport = FakeTransport()
    flow = ReadFlow(transport)
    flow.pause(Pause.AUTH_THROTTLE)
    flow.pause(Pause.AUTH_THROTTLE)
    flow.resume(Pause.AUTH_THROTTLE)
    assert transport.reading and not flow.paused


def test_ReadFlow_resuming_a_reason_not_pending_changes_nothing() -> None:
    transport = FakeTransport()
    flow = ReadFlow(transport)
    flow.pause(Pause.DRAIN)
    flow.resume(Pause.UNACKED)
    flow.resume(Pause.AUTH_THROTTLE)
    assert not transport.reading and flow.reasons == Pause.DRAIN


def test_ReadFlow_release_reads_on_whatever_was_or_comes_pending() -> None:
    transport = FakeTransport()
    flow = ReadFlow(transport)
    flow.pause(Pause.DRAIN)
    flow.pause(Pause.UNACKED)
    # When draining finishes: the rest of the socket is read (and discarded) so the close sends FIN, not RST
    flow.release()
    assert transport.reading and not flow.paused
    flow.pause(Pause.UNACKED)
    assert transport.reading and not flow.paused


def test_ReadFlow_does_not_resume_a_closing_transport() -> None:
    transport = FakeTransport()
    flow = ReadFlow(transport)
    flow.pause(Pause.UNACKED)
    transport.close()
    flow.resume(Pause.UNACKED)
    assert not transport.reading and not flow.paused
