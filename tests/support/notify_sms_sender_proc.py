"""An SMS sender process for the duplicate-after-crash test: `python -m tests.support.notify_sms_sender_proc DB
SETTINGS LEASE_S KILL_AFTER` sends the sqlite outbox at DB through the real Aliyun/Tencent clients (SETTINGS: the
stub fleet's channel JSON) and, if KILL_AFTER > 0, SIGKILLs itself right after that many sends were accepted."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from monitoring.notify.channels.settings import ChannelSettings
from monitoring.notify.channels.wiring import build_channels
from monitoring.notify.ports import Channel, ChannelKind, OutgoingMessage, SendLookup, SendResult
from monitoring.notify.routing import RoutingTable
from monitoring.notify.sender import Sender
from monitoring.notify.templates import TemplateBook
from monitoring.storage.sqlite import open_store


class KilledAfterAccepting:
    """The real client; the process dies by SIGKILL the moment the provider accepted the `n`th message, before
    the sender can record it: the worst place for a crash."""

    def __init__(self, inner: Channel, n: int) -> None:
        self.inner, self.n = inner, n
        self.provider, self.kind = inner.provider, inner.kind

    def send(self, message: OutgoingMessage) -> SendResult:
        result = self.inner.send(message)
        if result.accepted:
            self.n -= 1
            if self.n == 0:
                os.kill(os.getpid(), signal.SIGKILL)
        return result

    def find_sent(self, message: OutgoingMessage, since: datetime) -> SendResult | None:
        assert isinstance(self.inner, SendLookup)
        return self.inner.find_sent(message, since)


def main(db: str, settings_file: str, lease_s: float, kill_after: int) -> None:
    store = open_store(db)
    settings = dataclasses.replace(RoutingTable.load().settings, lease_s=lease_s)
    channel_settings = ChannelSettings.model_validate_json(Path(settings_file).read_text(encoding="utf-8"))
    sms = build_channels(channel_settings)[ChannelKind.SMS]
    if kill_after > 0:
        sms = [KilledAfterAccepting(sms[0], kill_after), *sms[1:]]
    sender = Sender(store.outbox, {ChannelKind.SMS: sms}, TemplateBook.load(), settings, lambda: datetime.now(UTC),
                    owner=f"proc-{os.getpid()}", threads=1)  # fmt: skip
    # one lane at a time: the kill then leaves exactly one message unrecorded (concurrent lanes: test_sender_killed)
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 3 * lease_s:  # wait out the leases a killed sender left behind
        report = sender.run_once(limit=5)
        if report.sent or report.merged:
            idle_since = time.monotonic()
        else:
            time.sleep(0.1)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
