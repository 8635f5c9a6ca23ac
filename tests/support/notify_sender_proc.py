"""A sender process for the kill -9 test: `python -m tests.support.notify_sender_proc DB URL LEASE_S` sends the
outbox of the sqlite store at DB through a loopback provider at URL until nothing is due."""

from __future__ import annotations

import dataclasses
import sys
import time
from datetime import UTC, datetime

from monitoring.notify.ports import ChannelKind
from monitoring.notify.routing import RoutingTable
from monitoring.notify.sender import Sender
from monitoring.notify.templates import TemplateBook
from monitoring.storage.sqlite import open_store
from tests.support.notify_loopback import LoopbackChannel


def main(db: str, url: str, lease_s: float) -> None:
    store = open_store(db)
    settings = dataclasses.replace(RoutingTable.load().settings, lease_s=lease_s, sms_per_minute=0, sms_per_hour=0)
    channels = {kind: [LoopbackChannel(url, "loop", kind)] for kind in ChannelKind}
    sender = Sender(store.outbox, channels, TemplateBook.load(), settings, lambda: datetime.now(UTC), owner=sys.argv[0])
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 3 * lease_s:  # wait out leases a killed sender left behind
        report = sender.run_once(limit=5)
        if report.sent or report.merged:
            idle_since = time.monotonic()
        else:
            time.sleep(0.1)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
