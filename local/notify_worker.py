"""The notify worker process of the embedded platform: every `notify_every_s` it decides from alarm changes,
reminders, emergency alerts and the digest (on_alarm_change_notify), then sends what is due (notify_send).
Passes run in a thread; the main thread reports status on time, as the supervisor's hang check expects."""

from __future__ import annotations

import logging
import os
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from local.config import LocalSettings
from local.workers import Control, _enter, _send, configure_handlers

log = logging.getLogger("local.notify")
SEND_BUDGET_S = 5.0  # one pass's sending at most: the worker notices the stop order soon after it


class _Passes:
    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self.stop = threading.Event()
        self.totals: dict[str, Any] = {"passes": 0, "decided": 0, "sent": 0, "failed": 0, "errors": 0}
        self.last_error = ""
        self.busy_since: float | None = None

    def run(self) -> None:
        from functions import notify_send, on_alarm_change_notify
        from local.pipeline import LambdaContextStub

        while not self.stop.wait(self.every_s):
            self.busy_since = time.monotonic()
            try:
                decided = on_alarm_change_notify.handler({}, LambdaContextStub())
                sent = notify_send.handler({"budget_s": SEND_BUDGET_S}, LambdaContextStub())
                self.totals["decided"] += decided["decided"]
                self.totals["sent"] += sent["sent"]
                self.totals["failed"] += sent["failed"]
            except Exception as exc:  # the store briefly unavailable, a provider client bug: the next pass retries
                self.totals["errors"] += 1
                self.last_error = repr(exc)[:200]
                log.exception("notify pass failed")
            self.totals["passes"] += 1
            self.busy_since = None


def notify_main(settings: LocalSettings, control_conn: Connection, conn: Connection, parent_pid: int) -> None:
    """Process entry: decide and send until stopped."""
    _enter(settings, parent_pid, "notify")
    control = Control(control_conn)
    configure_handlers(settings)
    passes = _Passes(settings.notify_every_s)
    thread = threading.Thread(target=passes.run, name="notify-passes", daemon=True)
    thread.start()

    def status() -> dict[str, Any]:
        since = passes.busy_since
        busy = 0.0 if since is None else time.monotonic() - since
        return {"pid": os.getpid(), "busy_s": round(busy, 3), "last_error": passes.last_error, **passes.totals}

    while not control.wait(settings.status_every_s):
        _send(conn, status())
    passes.stop.set()
    thread.join(SEND_BUDGET_S + 5.0)
    _send(conn, status())
    log.info("worker stopped", extra={"fields": {"worker": "notify", "sent": passes.totals["sent"]}})
