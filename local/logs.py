"""Readable log lines for a person at a console: time, level, logger, message, then the record's fields as k=v."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from typing import IO


class ReadableFormatter(logging.Formatter):
    """`2026-11-28 10:33:46.123 INFO  iot_ingest.server: listening host=127.0.0.1 port=9000`."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        text = f"{when} {record.levelname:<5} {record.name}: {record.getMessage()}"
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send every logger's records to stderr in the readable format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(ReadableFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
