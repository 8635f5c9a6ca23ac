"""JSON log lines: message, level, extra fields and exceptions in one object per line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from iot_ingest.logs import configure_logging

pytestmark = pytest.mark.unit


def test_configure_logging_writes_one_json_object_per_line_with_fields() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    try:
        log = logging.getLogger("iot_ingest.test")
        log.debug("hidden")
        log.info("frame rejected", extra={"fields": {"peer": "1.2.3.4:5", "reason": "crc_mismatch", "中": "文"}})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert [x["msg"] for x in lines] == ["frame rejected", "failed"]
    assert lines[0]["reason"] == "crc_mismatch" and lines[0]["中"] == "文" and lines[0]["level"] == "INFO"
    assert "ValueError: boom" in lines[1]["exc"]
