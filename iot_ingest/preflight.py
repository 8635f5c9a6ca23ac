"""Start-up checks of what the settings name outside the process: the addresses to listen on, the sink's file.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import socket
from pathlib import Path

from iot_ingest.config import ConfigError, Settings


def check_listen(host: str, port: int, setting: str) -> None:
    """Bind every address `host` resolves to, as the listener will (SO_REUSEADDR), then close."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"{setting}: cannot resolve host {host!r}: {exc.strerror}") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise ConfigError(f"{setting}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def check_file_target(path: Path, setting: str) -> None:
    """A file the process will create or append to: not a directory, and no existing part of its path a file."""
    if path.is_dir():
        raise ConfigError(f"{setting}: {path} is a directory")
    for part in path.parents:
        if part.exists():
            if not part.is_dir():
                raise ConfigError(f"{setting}: {part} is not a directory")
            return


def check_startup(settings: Settings) -> None:
    """Everything above for the stand-alone listener's settings."""
    check_listen(settings.host, settings.port, "port")
    if settings.health_port:
        check_listen(settings.health_host, settings.health_port, "health_port")
    kind, target = settings.sink_kind()
    if kind == "jsonl":
        check_file_target(Path(target), "sink")
