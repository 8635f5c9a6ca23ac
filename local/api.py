"""The HTTP API inside `python -m local run`: its own store connection on the data directory's database, the
platform's clock, a token key kept in DATA_DIR/api_token_key, served by local/api_server.py."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from local.api_server import ApiHttpServer
from monitoring.clock import Clock

log = logging.getLogger("local.api")
TOKEN_KEY_FILE = "api_token_key"


def token_key(data_dir: Path) -> str:
    """The access-token key of this installation: made once (0600), kept across restarts so sessions survive."""
    path = data_dir / TOKEN_KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(48))
    key = path.read_text(encoding="utf-8").strip()
    if len(key.encode()) < 32:
        raise ValueError(f"{path}: the API token key is shorter than 32 bytes; delete the file to make a new one")
    return key


class LocalApi:
    """Started after the listener, stopped before it; `url` is what the console and status.json show."""

    def __init__(
        self,
        *,
        data_dir: Path,
        db_path: Path,
        host: str,
        port: int,
        county_id: str,
        clock: Clock,
        trusted_proxies: str = "",
        web_dir: str = "",
    ) -> None:
        from miniprogram_api.app import app
        from miniprogram_api.chalicelib import wiring
        from miniprogram_api.chalicelib.settings import ApiSettings

        overrides: dict[str, Any] = {
            "store_backend": "sqlite",
            "sqlite_path": str(db_path),
            "county_id": county_id,
            "token_key": token_key(data_dir),
            "photo_store": "local",
            "photo_dir": str(data_dir / "photos"),  # photo bytes under the data directory, by photo id
            "evidence_max_bytes": 200_000_000,  # one machine, no Lambda response limit: 48 h packages pass
        }
        if "API_SMS_SENDER" not in os.environ:
            overrides["sms_sender"] = "log"  # one machine: SMS codes are read from the console
        settings = ApiSettings(**overrides)  # other API_* variables (WeChat appid, secret, base URL) still apply
        self.services = wiring.configure(settings, clock=clock)
        proxies = [p.strip() for p in trusted_proxies.split(",") if p.strip()]
        static = Path(web_dir) if web_dir else None
        self.server = ApiHttpServer(app, host, port, trusted_proxies=proxies, static_dir=static)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def site_url(self) -> str | None:
        return self.server.site_url

    def start(self) -> None:
        self.server.start()
        log.info("api serving", extra={"fields": {"url": self.url}})

    def stop(self) -> None:
        self.server.stop()
        self.services.store.close()
