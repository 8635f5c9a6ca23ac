"""`python -m local run` serves the API: sign in over HTTP, many requests at once, a garbled request and an
oversized body leave it serving, and SIGTERM stops it cleanly with the platform."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local.workers import DB_FILE
from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.storage.sqlite import open_store
from tests.support.api import FAST_HASHER, ApiClient

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.solo]
PASSWORD = "Local-Passw0rd"


def _status(data: Path) -> dict[str, Any] | None:
    try:
        doc: dict[str, Any] = json.loads((data / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc


def test_the_platform_serves_the_api_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = open_store(str(data / DB_FILE))
    try:
        create_account(
            store.accounts,
            datetime.now(UTC),
            username="local_admin",
            display_name="管理员",
            role=Role.ADMIN,
            county_id="rugao",
            password=PASSWORD,
            hasher=FAST_HASHER,
        )
    finally:
        store.close()
    log = tmp_path / "platform.log"
    cmd = [sys.executable, "-m", "local", "run", "--data-dir", str(data), "--port", "0", "--api-port", "0",
           "--status-every-s", "0.2"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (st := _status(data)) or not st.get("api_url"):
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text(errors="replace")
            time.sleep(0.1)
        url = st["api_url"]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v1/")
        client = ApiClient(url)
        login = client.post("/auth/login", json_body={"login": "local_admin", "password": PASSWORD})
        assert login.status == 200, login
        token = login.json["access_token"]
        host, port = client.host, client.port
        for raw in (
            b"\x16\x03\x01garbage\r\n\r\n",
            b"POST /api/v1/auth/login HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        ):
            with socket.create_connection((host, port), timeout=10) as sock:
                sock.sendall(raw)
                assert sock.recv(100).split(b" ")[1] in (b"400", b"413")
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(lambda _: client.get("/me", token=token).status, range(40)))
        assert statuses == [200] * 40
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text(errors="replace")
        assert "stopped cleanly" in log.read_text(errors="replace")
        with pytest.raises(OSError):
            socket.create_connection((host, port), timeout=2).close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
