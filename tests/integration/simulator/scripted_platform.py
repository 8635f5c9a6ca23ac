"""A small scripted HJ 212 platform on 127.0.0.1 for the simulator's integration tests (uses hj212 to decode).

It records every frame it receives, acknowledges uploads according to a policy, answers 1013 with 9013,
and lets a test push downlink frames to the connected terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import hj212


class ScriptedPlatform:
    def __init__(self, ack: Callable[[hj212.Frame], bool] = lambda f: True, *, ack_delay: float = 0.0) -> None:
        self.ack, self.ack_delay = ack, ack_delay
        self.frames: list[hj212.Frame] = []
        self.arrivals: list[tuple[int, hj212.Frame]] = []  # (connection number, frame)
        self.acks_sent = 0
        self.connections = 0
        self.overlaps = 0  # a data frame arrived while our ack for the previous one was still pending
        self.on_frame: Callable[[hj212.Frame], None] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._server: asyncio.Server | None = None
        self._pending_ack = False
        self.port = 0

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            if self._writer is not None:
                self._writer.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    def send(self, data: bytes) -> None:
        assert self._writer is not None, "no terminal connected"
        self._writer.write(data)

    def uploads(self, cn: str) -> list[hj212.Frame]:
        return [f for f in self.frames if f.cn == cn]

    async def wait_for(self, pred: Callable[[], bool], timeout: float = 15.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not pred():
            if loop.time() > end:
                raise AssertionError(f"condition not met within {timeout}s; received {len(self.frames)} frames")
            await asyncio.sleep(0.02)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = self.connections
        self._writer = writer
        decoder = hj212.StreamDecoder()
        try:
            while data := await reader.read(65536):
                for item in decoder.feed(data):
                    assert isinstance(item, hj212.Frame), item
                    self.frames.append(item)
                    self.arrivals.append((conn, item))
                    if self.on_frame is not None:
                        self.on_frame(item)
                    if item.cn == "1013":
                        writer.write(hj212.notice_reply(item))
                    elif item.ack_requested and self.ack(item):
                        if self._pending_ack:
                            self.overlaps += 1
                        self._pending_ack = True
                        asyncio.get_running_loop().call_later(self.ack_delay, self._send_ack, writer, item)
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _send_ack(self, writer: asyncio.StreamWriter, frame: hj212.Frame) -> None:
        self._pending_ack = False
        if not writer.is_closing():
            writer.write(hj212.data_ack(frame))
            self.acks_sent += 1
