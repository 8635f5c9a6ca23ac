"""The entry point's stand-alone wiring and its refusal of bad input."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from iot_ingest.__main__ import build_ports, main
from iot_ingest.config import load_settings
from iot_ingest.ports import AuthStatus

pytestmark = pytest.mark.unit


def test_build_ports_with_terminals_file_knows_those_terminals(tmp_path: Path) -> None:
    f = tmp_path / "terminals.json"
    f.write_text('{"MN1": {"pw": "123456", "modbus_crc": true}}', encoding="utf-8")
    ports = build_ports(load_settings(cli={"terminals_file": str(f)}, env={}))
    assert asyncio.run(ports.directory.check("MN1", "123456")) is AuthStatus.OK
    assert asyncio.run(ports.directory.uses_modbus_crc("MN1"))
    assert asyncio.run(ports.directory.check("MN2", "x")) is AuthStatus.UNREGISTERED


def test_build_ports_without_file_treats_every_mn_as_unregistered() -> None:
    ports = build_ports(load_settings(cli={}, env={}))
    assert asyncio.run(ports.directory.check("ANY", "x")) is AuthStatus.UNREGISTERED


def test_main_with_malformed_terminals_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "t.json"
    f.write_text("[1, 2]", encoding="utf-8")
    assert main(["serve", "--terminals-file", str(f)]) == 2
    assert "expected an object keyed by MN" in capsys.readouterr().err
