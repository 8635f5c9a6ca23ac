"""A terminal bound by an installer while its connection is open authenticates without reconnecting."""

from __future__ import annotations

import asyncio

import pytest

from iot_ingest import auth_cache
from iot_ingest.memory import TerminalEntry
from tests.integration.iot_ingest.harness import MN, PW, frame, running, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def test_unregistered_answer_is_asked_again_and_the_open_connection_authenticates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth_cache, "UNREGISTERED_RECHECK_S", 0.3)

    async def scenario() -> None:
        async with running(terminals={}) as h:
            t = await h.connect()
            # Given a terminal that is not registered yet: acknowledged, flagged unregistered
            await t.send(frame(i=0))
            assert (await t.recv()).cn == "9014"  # type: ignore[union-attr]
            # When the installer binds it (the directory now knows it) and a frame follows within the recheck
            h.directory.terminals[MN] = TerminalEntry(PW)
            await t.send(frame(i=1))
            assert (await t.recv()).cn == "9014"  # type: ignore[union-attr]
            # Then that one is still unregistered (the answer is fresh), but after the recheck on the same connection
            await asyncio.sleep(0.4)
            await t.send(frame(i=2))
            assert (await t.recv()).cn == "9014"  # type: ignore[union-attr]
            assert await until(lambda: len(h.sink.records) == 3)
            assert [r["auth"] for r in h.sink.records] == ["unregistered", "unregistered", "ok"]
            await t.close()

    asyncio.run(scenario())
