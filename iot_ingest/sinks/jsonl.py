"""A FrameSink that appends one JSON object per line to a file and fsyncs once per batch.

For debugging, tests and benchmarks. Writes run in a worker thread so the event loop never blocks on the disk; a
batch is durable when `put` returns (write + flush + fsync all succeeded).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from iot_ingest.ports import FrameRecord, SinkError


class JsonlSink:
    """Append-only JSON-lines file; the parent directory is created if missing."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = None
        self._lock = threading.Lock()  # puts may overlap when sink_concurrency > 1

    def _open(self) -> IO[bytes]:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open for the sink's life
        return self._file

    def _write(self, payload: bytes) -> None:
        with self._lock:
            start = None
            try:
                f = self._open()
                start = f.seek(0, os.SEEK_END)
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            except OSError as exc:
                self._truncate(start)
                # Drop the handle: a later put reopens the file (e.g. after the disk was remounted).
                self._close_file()
                raise SinkError(f"jsonl sink {self.path}: {exc}") from exc

    def _truncate(self, size: int | None) -> None:
        # A half-written batch would leave a torn line; cut it off so the file stays one JSON object per line.
        if self._file is not None and size is not None:
            try:
                self._file.truncate(size)
            except OSError:
                pass

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

    async def put(self, records: Sequence[FrameRecord]) -> None:
        if not records:
            return
        payload = b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in records)
        await asyncio.get_running_loop().run_in_executor(None, self._write, payload)

    async def close(self) -> None:
        with self._lock:
            self._close_file()
