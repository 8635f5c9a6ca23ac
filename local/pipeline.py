"""The decode loop: drains the frame queue in batches through `functions.on_frame_batch.handler`, in-process.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.queue import FrameQueue, Queued, Wake
from monitoring.ingest.isolate import is_transient

log = logging.getLogger(__name__)
STREAM_ARN = "arn:aws:kinesis:local:000000000000:stream/local-frames"  # shape only; never called
RETRY_BACKOFF_S = (0.2, 5.0)  # first and longest wait before a failed batch is tried again


@dataclass
class LambdaContextStub:
    """What Powertools reads from a Lambda context."""

    function_name: str = "local-on-frame-batch"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:local"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "local"
    log_group_name: str = "local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def kinesis_event(batch: list[Queued], arrival: float) -> dict[str, Any]:
    """The Kinesis stream event of a queue batch."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": q.mn,
                    "sequenceNumber": str(q.seq),
                    "data": base64.b64encode(q.record.encode("utf-8")).decode("ascii"),
                    "approximateArrivalTimestamp": arrival,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{q.seq}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::000000000000:role/local",
                "awsRegion": "local",
                "eventSourceARN": STREAM_ARN,
            }
            for q in batch
        ]
    }


Handler = Callable[[dict[str, Any], Any], Any]


class DecodeLoop:
    """A worker thread: take → handler → done, until stopped and (on a clean stop) the queue is empty."""

    def __init__(
        self,
        queue: FrameQueue,
        handler: Handler,
        *,
        batch_size: int = 500,
        max_attempts: int = 5,
        idle_wait: float = 0.2,
        wake: Wake | None = None,
        shard: int = 0,
        shards: int = 1,
        on_idle: Callable[[bool], None] | None = None,
        idle_every_s: float = 10.0,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.idle_wait = idle_wait
        self.wake: Wake = wake or threading.Event()
        self.shard, self.shards = shard, shards  # which terminals' frames this loop decodes (FrameQueue.take)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.processed = 0
        self.batches = 0
        self.failures = 0
        self.last_error = ""
        self.drain_on_stop = True  # False: at a stop, finish the batch in hand and the idle work, leave the rest
        self._busy_since: float | None = None  # monotonic start of the batch in hand (the supervisor's hang check)
        # Called on this thread when the queue is empty, at most every `idle_every_s`, and once with True at the
        # end (decode_main: the liveness sheets whose moment came while no batch ran, and all of them at a stop)
        self.on_idle, self.idle_every_s = on_idle, idle_every_s
        self._idle_at = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="decode-loop", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the queue (bounded by `timeout`) and stop."""
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> int:
        """Process one batch; returns how many records were taken (0: the queue was empty)."""
        batch = self.queue.take(self.batch_size, shard=self.shard, shards=self.shards)
        if not batch:
            return 0
        try:
            response = self.handler(kinesis_event(batch, time.time()), LambdaContextStub())
        except Exception as exc:  # the whole batch stays queued and is retried: every write of decode is idempotent
            self.failures += 1
            self.last_error = repr(exc)
            outage = is_transient(exc)
            (log.warning if outage else log.error)(
                "decode batch failed; kept queued, retrying" + (" (store unavailable)" if outage else ""),
                extra={"fields": {"records": len(batch), "error": repr(exc), "attempt": self.failures}},
            )
            first, longest = RETRY_BACKOFF_S
            backoff = min(longest, first * 2 ** min(self.failures - 1, 8))
            time.sleep(backoff)
            return len(batch)
        failed = {str(item.get("itemIdentifier")) for item in (response or {}).get("batchItemFailures", [])}
        ok = [q.seq for q in batch if str(q.seq) not in failed]
        bad = [q.seq for q in batch if str(q.seq) in failed]
        removed = self.queue.done(ok)  # less than ok when the handler set poison aside
        if bad:
            moved = self.queue.failed(bad, max_attempts=self.max_attempts, reason="batchItemFailures")
            log.warning(
                "records failed in decode; kept for retry",
                extra={"fields": {"failed": len(bad), "dead_lettered": moved}},
            )
        self.processed += removed
        self.batches += 1
        self.failures = 0
        return len(batch)

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def busy_seconds(self) -> float:
        """How long the batch in hand has been running (0 between batches)."""
        since = self._busy_since
        return round(time.monotonic() - since, 3) if since is not None else 0.0

    def _run(self) -> None:
        while True:
            self._busy_since = time.monotonic()
            try:
                taken = self.run_once()
            except Exception as exc:  # the queue itself failed (disk): log, wait, try again
                log.exception("decode loop error", extra={"fields": {"error": repr(exc)}})
                taken = 0
                time.sleep(1.0)
            self._busy_since = None
            if taken and not (self._stop.is_set() and (self.failures or not self.drain_on_stop)):
                continue
            if self._stop.is_set():
                self._idle(stopping=True)
                return
            if time.monotonic() - self._idle_at >= self.idle_every_s:
                self._idle(stopping=False)
            self.wake.wait(self.idle_wait)
            self.wake.clear()

    def _idle(self, *, stopping: bool) -> None:
        self._idle_at = time.monotonic()
        if self.on_idle is None:
            return
        self._busy_since = self._idle_at  # the supervisor's hang check covers idle work too
        try:
            self.on_idle(stopping)
        except Exception as exc:  # noqa: BLE001 - idle work is retried at the next idle moment; decoding goes on
            (log.error if stopping else log.warning)(
                "decode idle work failed" + (" at the stop: what it held is lost" if stopping else ""),
                extra={"fields": {"error": repr(exc)}},
            )
        finally:
            self._busy_since = None
