"""The jsonl sink: appends one JSON object per line, durable on return, raises on a disk error."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from iot_ingest.ports import SinkError
from iot_ingest.sinks import open_sink
from iot_ingest.sinks.jsonl import JsonlSink

pytestmark = pytest.mark.integration


def test_jsonl_sink_appends_lines_across_puts(tmp_path: Path) -> None:
    # Given a sink in a directory that does not exist yet
    path = tmp_path / "sub" / "frames.jsonl"
    sink = open_sink(f"jsonl:{path}")
    # When two batches are put
    asyncio.run(sink.put([{"mn": "A", "n": 1}, {"mn": "B", "n": 2, "text": "中文"}]))
    asyncio.run(sink.put([{"mn": "A", "n": 3}]))
    asyncio.run(sink.close())
    # Then the file holds three lines in order
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert [x["n"] for x in lines] == [1, 2, 3] and lines[1]["text"] == "中文"


def test_jsonl_sink_unwritable_path_raises_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    sink = JsonlSink(blocker / "frames.jsonl")  # parent is a file: cannot create
    with pytest.raises(SinkError):
        asyncio.run(sink.put([{"mn": "A"}]))


def test_open_sink_unknown_kind_raises() -> None:
    with pytest.raises(ValueError, match="unknown sink"):
        open_sink("s3:bucket")
