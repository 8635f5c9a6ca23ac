"""Start-up checks: an address in use, a host that does not resolve, a sink path under a file (issue 11.6)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from iot_ingest.__main__ import main
from iot_ingest.config import ConfigError, load_settings, read_table
from iot_ingest.preflight import check_file_target, check_listen

pytestmark = pytest.mark.unit


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_check_listen_refuses_a_port_another_socket_listens_on(taken_port: int) -> None:
    with pytest.raises(ConfigError, match=f"port: cannot listen on 127.0.0.1:{taken_port}: Address already in use"):
        check_listen("127.0.0.1", taken_port, "port")


def test_check_listen_lets_the_port_go_again() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    check_listen("127.0.0.1", port, "port")
    check_listen("127.0.0.1", port, "port")  # the probe closed its socket: the port is still free


def test_check_listen_refuses_a_host_that_does_not_resolve() -> None:
    with pytest.raises(ConfigError, match="cannot resolve host 'no-such-host.invalid'"):
        check_listen("no-such-host.invalid", 0, "port")


def test_check_file_target_refuses_a_directory_and_a_path_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="is a directory"):
        check_file_target(tmp_path, "sink")
    with pytest.raises(ConfigError, match=f"{tmp_path / 'f'} is not a directory"):
        check_file_target(tmp_path / "f" / "sub" / "frames.jsonl", "sink")
    check_file_target(tmp_path / "new" / "frames.jsonl", "sink")  # made on the first frame, as before


def test_an_unknown_setting_is_a_config_error_not_a_key_error() -> None:
    with pytest.raises(ConfigError, match="unknown setting max_conections"):
        load_settings(cli={"max_conections": 5}, env={})
    with pytest.raises(ConfigError, match=r"c.toml \[iot_ingest\]: unknown settings bogus"):
        read_table({"bogus": 1, "port": 1}, "c.toml [iot_ingest]")
    assert read_table({"port": "9001", "use_uvloop": "no"}, "x") == {"port": 9001, "use_uvloop": False}


@pytest.mark.parametrize("flag", ["--port", "--health-port"])
def test_serve_on_a_port_in_use_exits_2_with_one_line(
    taken_port: int, flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["serve", "--port", "0", "--health-port", "0", "--sink", f"jsonl:{tmp_path / 'f.jsonl'}"]
    assert main([*argv, flag, str(taken_port)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"iot_ingest: {flag[2:].replace('-', '_')}: cannot listen on 127.0.0.1:{taken_port}: Address already in use"
    ]
    assert list(tmp_path.iterdir()) == []


def test_serve_with_a_sink_under_a_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert main(["serve", "--port", "0", "--health-port", "0", "--sink", f"jsonl:{tmp_path / 'f' / 'x.jsonl'}"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"iot_ingest: sink: {tmp_path / 'f'} is not a directory"]
