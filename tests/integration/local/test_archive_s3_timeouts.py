"""The archive worker's S3 client against an endpoint that accepts connections and never answers (a real loopback
socket): one call fails within its bound, well inside the supervisor's hang limit, after a bounded number of tries."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.adapters.archive_objects import S3Objects
from local.archive_worker import archive_s3, s3_limits
from local.config import load
from monitoring.errors import StorageUnavailableError

pytestmark = pytest.mark.integration


@pytest.fixture
def silent_endpoint() -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP server on 127.0.0.1 that accepts every connection, reads nothing and answers nothing."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


def test_an_s3_put_to_an_endpoint_that_never_answers_fails_within_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, silent_endpoint: tuple[str, list[socket.socket]]
) -> None:
    url, accepted = silent_endpoint
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_S3": url,
        "AWS_MAX_ATTEMPTS": "10",  # an environment asking for more tries does not lift the bound
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    # Given the archive's client for a supervisor that kills a cut after 30 s (the default hang_after_s)
    settings, _ = load(
        {"data_dir": str(tmp_path), "hang_after_s": "30", "archive_bucket": "county-archive"},
        env={},
    )
    limits = s3_limits(settings.hang_after_s)
    assert limits.worst_s() <= 15.0 and limits.attempts == 2, limits
    bucket = S3Objects(archive_s3(settings), settings.archive_bucket)
    # When the archive puts an object and the endpoint accepts the connection but never answers
    outcome: list[object] = []

    def put() -> None:
        try:
            outcome.append(bucket.put_new("raw/date=2026-12-07/x.jsonl.gz", b"x" * 1000))
        except Exception as exc:
            outcome.append(exc)

    started = time.monotonic()
    caller = threading.Thread(target=put, daemon=True)  # the old client waited 60 s a read, 5 tries: don't hang here
    caller.start()
    caller.join(settings.hang_after_s)
    elapsed = time.monotonic() - started
    # Then the call failed as a storage outage (the cut is retried) within the bound, far inside the hang limit
    assert not caller.is_alive(), f"the S3 call still runs after {elapsed:.1f} s (hang_after_s 30)"
    (error,) = outcome
    assert isinstance(error, StorageUnavailableError) and "timeout" in str(error).lower(), error
    assert limits.read_s <= elapsed <= limits.worst_s() + 1.0, (elapsed, limits)
    # And it tried exactly `attempts` times, each on a connection the server accepted (a read that timed out)
    assert len(accepted) == limits.attempts, len(accepted)
