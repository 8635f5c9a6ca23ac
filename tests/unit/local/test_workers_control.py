"""A worker's control pipe (local/workers.py Control) at any descriptor number."""

from __future__ import annotations

import os
import resource
from multiprocessing.connection import Connection

import pytest

from local.workers import CONTEXT, Control

HIGH_FD = 1500  # past select's FD_SETSIZE (1024): what a restarted worker gets from a runner holding many sockets


@pytest.fixture
def high_pipe() -> tuple[Connection, Connection]:
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] <= HIGH_FD:
        pytest.skip(f"the open-files limit is below {HIGH_FD + 1}")
    ours, theirs = CONTEXT.Pipe(duplex=False)
    os.dup2(ours.fileno(), HIGH_FD)
    ours.close()
    return Connection(HIGH_FD, writable=False), theirs


def test_a_control_pipe_past_1024_wakes_and_stops(high_pipe: tuple[Connection, Connection]) -> None:
    # Given the worker's end of its control pipe on descriptor 1500
    ours, theirs = high_pipe
    control = Control(ours)
    try:
        # When nothing is sent, a wait times out; a byte wakes it; the parent closing its end stops it
        assert control.wait(0.01) is False
        os.write(theirs.fileno(), b"w")
        assert control.wait(1.0) is True and not control.stopped
        theirs.close()
        assert control.wait(1.0) is True and control.stopped
    finally:
        ours.close()
