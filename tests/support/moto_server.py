"""A moto server on 127.0.0.1, on a port the OS picks, for tests whose code opens its own AWS clients by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer


@contextmanager
def moto_server() -> Iterator[str]:
    """The running server's URL, stopped afterwards. AWS_* must be fake (the `fake_aws_env` fixture)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
