"""`python -m iot_ingest serve --db`: the listener's own entry point authenticates against the platform registry.

A listener outside local/ (the AWS one) needs exactly this: the registry's MN/PW decide `auth`, not a file.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import hj212
from iot_ingest.__main__ import build_ports, main
from iot_ingest.config import load_settings
from iot_ingest.ports import AuthStatus, Event
from monitoring.events.models import EventKind
from monitoring.registry.terminal import Terminal as Registered
from monitoring.registry.terminal import hash_password
from monitoring.storage.sqlite import open_store

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
MN, PW = "010000A8900016F000169DC0", "123456"


def _registry(path: Path) -> Path:
    store = open_store(path)
    store.registry.put_terminal(Registered(mn=MN, county_id="rugao", password_hash=hash_password(PW, n=2)))
    store.close()
    return path


def test_db_ports_check_terminals_and_store_events(tmp_path: Path) -> None:
    # Given a database whose registry holds one terminal
    db = _registry(tmp_path / "platform.sqlite")
    ports = build_ports(load_settings(cli={"db": str(db)}, env={}))
    try:
        # Then the registry decides: right PW ok, wrong PW auth_failed, unknown MN unregistered
        assert asyncio.run(ports.directory.check(MN, PW)) is AuthStatus.OK
        assert asyncio.run(ports.directory.check(MN, "654321")) is AuthStatus.AUTH_FAILED
        assert asyncio.run(ports.directory.check("UNKNOWN00001", PW)) is AuthStatus.UNREGISTERED
        # And the listener's events land in the platform's event table
        at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
        asyncio.run(ports.events.emit(Event("duplicate_mn", at, "l1", mn=MN, peer="203.0.113.7:1", session="s")))
    finally:
        ports.close()
    stored = open_store(db).events.events_for_mn(MN, at - timedelta(hours=1), at + timedelta(hours=1))
    assert [e.kind for e in stored] == [EventKind.DUPLICATE_MN]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such database"), (b"not a database at all", "not an sqlite database")],
)
def test_a_missing_or_foreign_db_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    db = tmp_path / "platform.sqlite"
    if content is not None:
        db.write_bytes(content)
    assert main(["serve", "--db", str(db)]) == 2
    assert message in capsys.readouterr().err
    assert db.exists() is (content is not None)  # never created by a typo


def test_db_and_terminals_file_together_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _registry(tmp_path / "platform.sqlite")
    terminals = tmp_path / "t.json"
    terminals.write_text("{}", encoding="utf-8")
    assert main(["serve", "--db", str(db), "--terminals-file", str(terminals)]) == 2
    assert "give one of db, terminals_file and store_backend" in capsys.readouterr().err
    assert main(["serve", "--db", str(db), "--store-backend", "dynamodb"]) == 2
    assert "give one of" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _upload(pw: str, i: int) -> bytes:
    cp = {"DataTime": f"202612061600{i:02d}", "Ia": {"Rtd": "12.3", "Flag": "N"}}
    qn = hj212.QnGenerator().next(datetime.now(UTC).replace(tzinfo=None))
    return hj212.build_frame(st="32", cn=hj212.CN.REALTIME_DATA, mn=MN, pw=pw, qn=qn, ack=True, cp=cp)


@pytest.mark.slow
@pytest.mark.solo
def test_the_listener_process_authenticates_against_the_registry(tmp_path: Path) -> None:
    # Given the listener started as its own process with --db
    db, frames, port = _registry(tmp_path / "platform.sqlite"), tmp_path / "frames.jsonl", _free_port()
    cmd = [sys.executable, "-m", "iot_ingest", "serve", "--db", str(db), "--port", str(port), "--health-port", "0",
           "--sink", f"jsonl:{frames}", "--no-use-uvloop"]  # fmt: skip
    log = (tmp_path / "listener.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "listener did not start"
                time.sleep(0.2)
        with conn:
            conn.settimeout(30)
            # When the registered terminal sends with its password, then with a wrong one
            conn.sendall(_upload(PW, 1))
            reply = hj212.decode_frame(conn.recv(4096))
            conn.sendall(_upload("654321", 2))
            # Then the first is acknowledged (9014) and both are archived with the registry's verdict
            assert reply.cn == hj212.CN.DATA_ACK
            deadline = time.monotonic() + 30
            while len(frames.read_text(encoding="utf-8").splitlines() if frames.exists() else []) < 2:
                assert time.monotonic() < deadline, "frames not written"
                time.sleep(0.1)
        records = [json.loads(line) for line in frames.read_text(encoding="utf-8").splitlines()]
        assert [(r["mn"], r["auth"]) for r in records] == [(MN, "ok"), (MN, "auth_failed")]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
