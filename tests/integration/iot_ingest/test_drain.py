"""Shutdown: stop accepting, finish in-flight hand-offs (their replies go out), close; SIGTERM on the real process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import hj212
from tests.integration.iot_ingest.harness import frame, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
ROOT = Path(__file__).resolve().parents[3]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def test_shutdown_with_frames_in_flight_acks_them_then_closes() -> None:
    async def scenario() -> None:
        async with running(batch_linger=0, drain_timeout=5.0) as h:
            t = await h.connect()
            # Given frames handed to a sink that has not confirmed yet
            h.sink.gate.clear()
            await t.send(b"".join(frame(i=i) for i in range(5)))
            await asyncio.sleep(0.1)
            assert await t.recv(0.1) is None
            # When shutdown starts and the sink then confirms
            stopping = asyncio.create_task(h.server.shutdown())
            await asyncio.sleep(0.1)
            assert h.server.state.draining
            h.sink.gate.set()
            # Then every in-flight frame is acknowledged before the connection closes
            assert len(await t.recv_n(5)) == 5
            assert await t.closed_by_peer()
            await stopping
            assert len(h.sink.records) == 5 and h.sink.closed

    run(scenario)


def test_shutdown_stops_accepting_new_connections() -> None:
    async def scenario() -> None:
        async with running() as h:
            port = h.port
            await h.server.shutdown()
            with pytest.raises(OSError):
                await asyncio.open_connection("127.0.0.1", port)

    run(scenario)


def _start(tmp_path: Path, log: list[str]) -> tuple[subprocess.Popen[str], int]:
    out = tmp_path / "frames.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IOT_INGEST_LOG_LEVEL": "INFO"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "iot_ingest", "serve", "--host", "127.0.0.1", "--port", "0", "--health-port", "0",
         "--sink", f"jsonl:{out}", "--listener-id", "sigterm-test", "--drain-timeout", "10"],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        entry = json.loads(line)
        if entry.get("msg") == "listening":
            # Keep reading stderr so that the child never blocks on a full pipe.
            threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
            return proc, int(entry["port"])
    proc.kill()
    raise AssertionError("listener did not start")


def test_sigterm_with_frames_in_flight_loses_no_acknowledged_frame(tmp_path: Path) -> None:
    # Given the real entry point with the jsonl sink
    log: list[str] = []
    proc, port = _start(tmp_path, log)
    try:

        async def client() -> list[str]:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"".join(frame(i=i) for i in range(3000)))
            decoder, acked, signalled = hj212.StreamDecoder(), [], False
            while True:
                data = await asyncio.wait_for(reader.read(65536), 15)
                if not data:
                    break
                acked += [f.qn for f in decoder.feed(data) if isinstance(f, hj212.Frame) and f.cn == "9014"]
                if acked and not signalled:
                    # When SIGTERM arrives while frames are still flowing
                    proc.send_signal(signal.SIGTERM)
                    signalled = True
            writer.close()
            return acked

        acked = asyncio.run(client())
        # Then the process exits cleanly within the drain time-out
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    # and every acknowledged frame is in the file
    stored = {json.loads(line)["qn"] for line in (tmp_path / "frames.jsonl").read_text().splitlines()}
    assert acked and set(acked) <= stored
    time.sleep(0.2)
    assert any('"msg": "stopped"' in line for line in log)
