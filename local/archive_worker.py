"""The archive worker (archive_bucket set): every `archive_every_s` the frames not yet archived become raw objects in
S3 and links on the manifest chain, as the AWS archive writer and chain functions make them; then they are marked.
A crash between the objects and the mark redoes the same cut: the same keys (put-if-absent) and chain() finds them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from local.config import LocalSettings, archive_shard
from local.queue import Cut, FrameQueue
from local.workers import QUEUE_FILE, Control, _enter, _send, configure_handlers
from monitoring.archive.raw_objects import StreamRecord, batch_objects

log = logging.getLogger("local.archive")
SHARD = "local"  # the objects' key stem names the "shard": the frame queue of this host (host_id's default)
ARCHIVE_CUT_FAILED = "archive cut failed; retrying"  # the county host alarms on it (local/app.py FAILURE_LINES)
RETRY_S = 60.0  # after a failed cut, the next try at most this much later: its line keeps HostWorkerFailures raised
CUT_FRAMES = 10_000  # frames per cut at most (≈ 7 minutes of 1,500 terminals): bounds the worker's memory
# One S3 call may take at most this share of hang_after_s (the supervisor kills a cut running longer): an endpoint
# that accepts and never answers must fail the cut (retried within RETRY_S), not get the worker killed as hung. A
# failed call ends the drain, so one call at most runs into its timeouts.
S3_CALL_SHARE = 0.5
# The SDK's standard retry waits before its retry at most 1 s (throttling) plus 5 s a server's retry-after may add.
S3_RETRY_WAIT_S = 6.0
# A PutObject sends "Expect: 100-continue" and waits up to 1 s for the answer before sending the body anyway.
S3_EXPECT_WAIT_S = 1.0
S3_MIN_READ_S = 1.0  # below this, retries would fail a slow but healthy S3: one attempt with a longer read instead


@dataclass(frozen=True, slots=True)
class S3Limits:
    """The archive's S3 client: connect and read timeouts (s) and total attempts of one call."""

    connect_s: float
    read_s: float
    attempts: int

    def worst_s(self) -> float:
        """The longest one call can take: each attempt connecting, waiting for 100-continue, sending the body and
        waiting for the answer (each of those two bounded by the read timeout) until it times out, and the waits
        before the retries. (A server trickling its answer a byte at a time is not bounded by these.)"""
        attempt = self.connect_s + S3_EXPECT_WAIT_S + 2 * self.read_s
        return self.attempts * attempt + (self.attempts - 1) * S3_RETRY_WAIT_S


def _split(per_attempt: float) -> tuple[float, float]:
    """(connect, read) for an attempt of `per_attempt` seconds at worst: a fifth (≤ 5 s) to connect."""
    connect = min(5.0, per_attempt / 5)
    return connect, min(30.0, (per_attempt - connect - S3_EXPECT_WAIT_S) / 2)


def s3_limits(hang_after_s: float) -> S3Limits:
    """Timeouts and attempts whose worst case is at most S3_CALL_SHARE of hang_after_s: two attempts where each
    still reads for S3_MIN_READ_S, else one (the worker's own retry follows within RETRY_S)."""
    budget = hang_after_s * S3_CALL_SHARE
    connect, read = _split((budget - S3_RETRY_WAIT_S) / 2)
    if read >= S3_MIN_READ_S:
        return S3Limits(connect, read, 2)
    connect, read = _split(budget)
    return S3Limits(connect, max(read, 0.1), 1)


class Archiver:
    """Cuts the queue's unarchived frames into archive objects, chains and marks them; one cut at a time."""

    def __init__(
        self, queue: FrameQueue, bucket: Any, chain: Any, *, cut_frames: int = CUT_FRAMES, shard: str = SHARD
    ) -> None:
        self.queue, self.bucket, self.chain, self.cut_frames = queue, bucket, chain, cut_frames
        # Hosts sharing a bucket number their frames each in its own queue: the shard (host_id) keeps their keys apart
        self.shard = shard
        self.objects = self.written = self.frames = 0
        self.cuts = 0
        self.last_error = ""
        self.before_mark: Any = None  # tests: called between the objects and the mark (a crash there)
        self._cut_since: float | None = None  # monotonic start of the cut in progress

    def busy_s(self) -> float:
        """How long the cut in progress has run (0: none): the supervisor's hang check. Per cut, not per drain: a
        backlog after an S3 outage is many cuts (≈ 0.2 s each without the network, 10,000 frames), which together
        may outlast hang_after_s while each makes progress."""
        since = self._cut_since
        return time.monotonic() - since if since is not None else 0.0

    def cut_once(self, upto: int | None = None) -> Cut | None:
        """Archive one cut (of frames up to id `upto`); None: nothing waiting. Raises on failure: the cut stays
        begun, to be redone."""
        self._cut_since = time.monotonic()
        try:
            cut = self.queue.cut(self.cut_frames, upto)
            if cut is None:
                return None
            self.write(cut)
            if self.before_mark is not None:
                self.before_mark(cut)
            marked = self.queue.archived(cut)
        finally:
            self._cut_since = None
        self.cuts, self.frames = self.cuts + 1, self.frames + marked
        return cut

    def write(self, cut: Cut) -> None:
        records = [StreamRecord(str(seq), queued_at, record.encode("utf-8")) for seq, record, queued_at in cut.frames]
        if not records:  # every frame of the cut was marked already (cannot happen; the cut still ends)
            return
        for obj in batch_objects(self.shard, records):
            self.written += self.bucket.put_new(obj.key, obj.body)  # False: an earlier try's object, same bytes
            if self.chain is not None:  # None: the bucket's ChainArchive function chains each new object
                self.chain.chain(obj.key)  # idempotent: a link made before is returned, not made again
            self.objects += 1

    def drain(self) -> None:
        """Cut every frame queued now (a backlog in several cuts); frames arriving meanwhile wait for the next."""
        upto = self.queue.last_id()
        while (cut := self.cut_once(upto)) is not None and cut.last < upto:
            pass


def pause_s(every_s: float, *, failed: bool, stopping: bool) -> float:
    """Wall seconds until the next cut: soon after a failure (at most RETRY_S), 1 s while the stop's drain retries."""
    if stopping:
        return 1.0
    return min(every_s, RETRY_S) if failed else every_s


def archive_s3(settings: LocalSettings) -> Any:
    """The archive's S3 client: the SDK's credentials, region and endpoint settings; timeouts and retries bounded
    by s3_limits (the SDK's defaults, 60 s reads and legacy retries, let one call outlast the hang limit)."""
    from functions.adapters.archive_objects import s3_client

    limits = s3_limits(settings.hang_after_s)
    region = settings.dynamodb_region or None  # else the SDK's AWS_REGION, as the wiring's client
    return s3_client(region, connect_s=limits.connect_s, read_s=limits.read_s, attempts=limits.attempts)


def open_archiver(settings: LocalSettings, queue: FrameQueue) -> Archiver:
    """The archiver on the wiring's store (the chain's links) and S3 (the bucket, the SDK's endpoint settings)."""
    from functions import _wiring
    from functions.adapters.archive_objects import S3Objects, frames_of
    from monitoring.archive.manifest_chain import ManifestChain

    bucket = S3Objects(archive_s3(settings), settings.archive_bucket)
    if not settings.archive_chain:  # AWS: the object's creation event runs ChainArchive (its role reads manifests)
        return Archiver(queue, bucket, None, shard=archive_shard(settings))
    chain = ManifestChain(_wiring.get_store().chain_heads, bucket, frames_of)
    return Archiver(queue, bucket, chain, shard=archive_shard(settings))


def archive_main(settings: LocalSettings, control_conn: Connection, conn: Connection, parent_pid: int) -> None:
    """Process entry: a cut every archive_every_s (and at the stop order, so a clean stop leaves nothing behind)."""
    _enter(settings, parent_pid, "archive")
    control = Control(control_conn)
    configure_handlers(settings)
    queue = FrameQueue(settings.path / QUEUE_FILE)
    archiver = open_archiver(settings, queue)
    stop = threading.Event()

    def run() -> None:
        while True:
            stopping = stop.is_set()  # the listener has stopped: this drain is the last
            try:
                archiver.drain()
                archiver.last_error = ""
            except Exception as exc:  # S3 or the store unavailable: the begun cut is redone next time
                archiver.last_error = repr(exc)[:300]
                log.error(ARCHIVE_CUT_FAILED, extra={"fields": {"error": archiver.last_error}})
            if stopping and not archiver.last_error:
                return
            stop.wait(pause_s(settings.archive_every_s, failed=bool(archiver.last_error), stopping=stopping))

    thread = threading.Thread(target=run, name="archive-cuts", daemon=True)
    thread.start()

    def status() -> dict[str, Any]:
        waiting, oldest = queue.unarchived()
        return {
            "pid": os.getpid(),
            "busy_s": round(archiver.busy_s(), 3),
            "cuts": archiver.cuts,
            "objects": archiver.objects,
            "written": archiver.written,
            "archived": archiver.frames,
            "waiting": waiting,
            "oldest_s": round(oldest, 1),
            "last_error": archiver.last_error,
        }

    while not control.wait(settings.status_every_s):
        _send(conn, status())
    stop.set()
    thread.join(30.0)
    _send(conn, status())
    queue.close()
    log.info("worker stopped", extra={"fields": {"worker": "archive", "archived": archiver.frames}})
