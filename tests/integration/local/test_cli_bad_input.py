"""`python -m local` answers bad input with one line and exit 2, before it creates anything, and a failed import
takes back what it created (issue 11.6). main() runs in-process where the old code failed fast; cases where the
old code would have started the platform run as real processes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.__main__ import DEFAULT_CSV, main

pytestmark = pytest.mark.integration


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def _one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("local: "), (code, err)
    return err


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-enterprise fleet from the Rugao list, as `python -m simulator manifest` writes it."""
    path = tmp_path_factory.mktemp("fleet") / "fleet.json"
    cmd = [sys.executable, "-m", "simulator", "manifest", "--csv", str(DEFAULT_CSV), "--limit", "3", "--out"]
    subprocess.run([*cmd, str(path)], check=True, capture_output=True, timeout=120)
    return path


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


# ---- run: every setting is checked before the data directory is made ----


def test_run_with_an_unknown_key_in_the_iot_ingest_table_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[iot_ingest]\nmax_conections = 10\n", encoding="utf-8")
    err = _one_line_exit_2(["run", "--data-dir", str(tmp_path / "data"), "--config", str(cfg)], capsys)
    assert "[iot_ingest]: unknown settings max_conections" in err
    assert _files(tmp_path) == ["c.toml"]


@pytest.mark.parametrize(
    ("table", "message"),
    [("max_connections = 0", "max_connections: must be at least 1"), ('max_buffer = "big"', "expected int")],
)
def test_run_with_a_bad_listener_value_creates_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[iot_ingest]\n{table}\n", encoding="utf-8")
    err = _one_line_exit_2(["run", "--data-dir", str(tmp_path / "data"), "--config", str(cfg), "--port", "0"], capsys)
    assert message in err
    assert _files(tmp_path) == ["c.toml"]


def test_run_with_a_bad_listener_environment_variable_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOT_INGEST_MAX_BUFFER", "5")
    err = _one_line_exit_2(["run", "--data-dir", str(tmp_path / "data"), "--port", "0"], capsys)
    assert "max_buffer: must be at least 1024" in err
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--web-dir", "no/such/dist"], "web_dir: no/such/dist has no index.html"),
        (["--api-trusted-proxies", "10.0.0.1,proxy.local"], "api_trusted_proxies: 'proxy.local' is not an IP address"),
        (["--api-port", "9000", "--port", "9000"], "api_port: 9000 is also the listener's port"),
    ],
    ids=["web-dir", "proxies", "api-port"],
)
def test_run_with_a_bad_api_setting_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    err = _one_line_exit_2(["run", "--data-dir", str(tmp_path / "data"), *options], capsys)
    assert message in err
    assert _files(tmp_path) == []


@pytest.mark.parametrize("below", ["", "sub"], ids=["is-a-file", "under-a-file"])
def test_run_with_a_data_dir_that_cannot_be_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], below: str
) -> None:
    occupied = tmp_path / "occupied"
    occupied.write_text("x", encoding="utf-8")
    err = _one_line_exit_2(["run", "--data-dir", str(occupied / below), "--port", "0"], capsys)
    assert f"data_dir: {occupied} is not a directory" in err
    assert _files(tmp_path) == ["occupied"]


def test_run_on_a_port_in_use_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "local", "run", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines() == [f"local: port: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert _files(tmp_path) == []


# ---- import-fleet: the manifest, the list and the options before the data directory ----


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        ("{not json", "fleet manifest"),
        ("[]", "not a simulator-fleet-manifest"),
    ],
    ids=["missing", "not-json", "not-a-manifest"],
)
def test_import_fleet_with_an_unusable_manifest_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "m.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    err = _one_line_exit_2(["import-fleet", "--data-dir", str(tmp_path / "data"), "--manifest", str(path)], capsys)
    assert message in err
    assert _files(tmp_path) == ([] if content is None else ["m.json"])


@pytest.mark.parametrize(
    ("bend", "message"),
    [
        (lambda e: e.pop("points"), "enterprises[0] (RG001): points: expected a list"),
        (lambda e: e["points"][0].update(role="boiler"), "points[0]: role must be one of"),
        (lambda e: e["terminals"][0].pop("password"), "a registered terminal needs its password"),
        (lambda e: e["associations"].append({"control": "X", "production": "Y"}), "associations:"),
        (lambda e: e.update(orders=[{"level": "purple", "from": "x", "to": "y"}]), "orders[0]: level"),
    ],
    ids=["points-missing", "unknown-role", "no-password", "dangling-association", "bad-order"],
)
def test_import_fleet_names_the_first_malformed_entry_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: Path, bend: Any, message: str
) -> None:
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    bend(doc["enterprises"][0])
    bent = _write(tmp_path / "bent.json", doc)
    err = _one_line_exit_2(["import-fleet", "--data-dir", str(tmp_path / "data"), "--manifest", str(bent)], capsys)
    assert message in err
    assert _files(tmp_path) == ["bent.json"]


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        (None, "no such file"),
        ("a,b\n1,2\n", "expected the columns seq,town,enterprise_name"),
        (b"\xff\xfe\x00garbage", "unreadable"),
        (
            "seq,town,enterprise_name,install_category,enforcement_branch\n1,城北街道,别家,大气管控企业,执法一局\n",
            "none of",
        ),
    ],
    ids=["missing", "wrong-columns", "not-utf8", "other-enterprises"],
)
def test_import_fleet_with_an_unusable_list_leaves_no_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: Path, csv_text: str | bytes | None, message: str
) -> None:
    listing = tmp_path / "list.csv"
    if isinstance(csv_text, bytes):
        listing.write_bytes(csv_text)
    elif csv_text is not None:
        listing.write_text(csv_text, encoding="utf-8")
    data = tmp_path / "new" / "data"
    argv = ["import-fleet", "--data-dir", str(data), "--manifest", str(manifest), "--csv", str(listing)]
    assert message in _one_line_exit_2(argv, capsys)
    assert _files(tmp_path) == ([] if csv_text is None else ["list.csv"])


def test_import_fleet_with_a_bad_minute_interval_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: Path
) -> None:
    argv = ["import-fleet", "--data-dir", str(tmp_path / "d"), "--manifest", str(manifest), "--minute-interval", "0"]
    assert "--minute-interval must be at least 1" in _one_line_exit_2(argv, capsys)
    assert _files(tmp_path) == []


def test_import_fleet_leaves_a_non_sqlite_file_in_the_data_directory_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: Path
) -> None:
    (tmp_path / "gongkuang.db").write_text("notes", encoding="utf-8")
    err = _one_line_exit_2(["import-fleet", "--data-dir", str(tmp_path), "--manifest", str(manifest)], capsys)
    assert "不是 sqlite 数据库" in err
    assert _files(tmp_path) == ["gongkuang.db"] and (tmp_path / "gongkuang.db").read_text() == "notes"


def test_a_failed_import_into_an_existing_directory_removes_only_what_it_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: Path
) -> None:
    (tmp_path / "operator-notes.txt").write_text("keep me", encoding="utf-8")
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n", encoding="utf-8")
    argv = ["import-fleet", "--data-dir", str(tmp_path), "--manifest", str(manifest), "--csv", str(junk)]
    _one_line_exit_2(argv, capsys)
    assert _files(tmp_path) == ["junk.csv", "operator-notes.txt"]


def test_import_fleet_then_queries_work_and_keep_their_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: Path
) -> None:
    data = tmp_path / "data"
    assert main(["import-fleet", "--data-dir", str(data), "--manifest", str(manifest)]) == 0
    assert "导入完成: 企业 3" in capsys.readouterr().out
    assert main(["alarms", "--data-dir", str(data)]) == 0
    # the read commands are python -m monitoring's, given the fleet id's enterprise and the platform's time
    assert "共 0 条" in capsys.readouterr().out
    assert main(["readings", "--data-dir", str(data), "--enterprise", "RG001", "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    assert main(["readings", "--data-dir", str(data), "--enterprise", "RG999"]) == 1
    assert "企业 RG999 不存在" in capsys.readouterr().out
    assert _files(tmp_path) == ["data", "data/fleet.json", "data/gongkuang.db"]


# ---- alarms / readings: a query never creates the database ----


def test_alarms_on_a_directory_without_a_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no database in" in _one_line_exit_2(["alarms", "--data-dir", str(tmp_path / "none")], capsys)
    assert _files(tmp_path) == []


def test_readings_on_a_database_that_is_not_sqlite_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "gongkuang.db").write_text("notes", encoding="utf-8")
    argv = ["readings", "--data-dir", str(tmp_path), "--enterprise", "RG001"]
    assert "不是 sqlite 数据库" in _one_line_exit_2(argv, capsys)
    assert _files(tmp_path) == ["gongkuang.db"]


def test_alarms_with_a_corrupt_fleet_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: Path
) -> None:
    assert main(["import-fleet", "--data-dir", str(tmp_path), "--manifest", str(manifest)]) == 0
    (tmp_path / "fleet.json").write_text("{oops", encoding="utf-8")
    capsys.readouterr()
    assert "fleet manifest" in _one_line_exit_2(
        ["alarms", "--data-dir", str(tmp_path), "--enterprise", "RG001"], capsys
    )


# ---- demo: options before the data directory is wiped ----


def test_demo_refuses_to_wipe_a_directory_that_is_not_a_demos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "thesis.txt").write_text("years of work", encoding="utf-8")
    err = _one_line_exit_2(["demo", "--data-dir", str(tmp_path), "--port", "1"], capsys)
    assert "is not a demo's data directory" in err and "--keep" in err
    assert _files(tmp_path) == ["thesis.txt"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--accel", "0"], "--accel must be within"),
        (["--start", "tomorrow"], "--start: not an ISO 8601 time"),
        (["--start", "2026-11-30T08:00:00+08:00"], "without an offset"),
        (["--limit", "-1"], "--limit must be at least 1"),
        (["--min-interval", "0"], "--min-interval must be at least 1"),
        (["--mix", "normal=x"], "--mix: weight of 'normal' must be a number"),
        (["--port", "70000"], "--port must be within 1..65535"),
        (["--api-port", "9000"], "--api-port must be within 1..65535 and differ from --port"),
    ],
)
def test_demo_with_a_bad_option_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    assert message in _one_line_exit_2(["demo", "--data-dir", str(tmp_path / "demo"), *options], capsys)
    assert _files(tmp_path) == []


def test_demo_on_a_port_in_use_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        err = _one_line_exit_2(["demo", "--data-dir", str(tmp_path / "demo"), "--port", str(port)], capsys)
    assert "Address already in use" in err
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    "argv",
    [["alarms", "--limit", "-1"], ["readings", "--enterprise", "RG001", "--minutes", "0"]],
    ids=["limit", "minutes"],
)
def test_queries_refuse_a_count_below_one(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert "must be at least 1" in _one_line_exit_2([*argv, "--data-dir", str(tmp_path)], capsys)
    assert _files(tmp_path) == []


@pytest.mark.parametrize("name", ["gongkuang.db", "queue.db"])
def test_run_on_a_data_dir_whose_store_is_not_sqlite_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (tmp_path / name).write_text("notes", encoding="utf-8")
    argv = ["run", "--data-dir", str(tmp_path), "--port", "0", "--api-port", "0"]
    assert "不是 sqlite 数据库" in _one_line_exit_2(argv, capsys)
    assert _files(tmp_path) == [name]


# ---- dead-letters: the queue file is checked before it is opened ----


def test_dead_letters_on_a_directory_without_a_queue_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no frame queue" in _one_line_exit_2(["dead-letters", "list", "--data-dir", str(tmp_path)], capsys)
    assert _files(tmp_path) == []


def test_dead_letters_on_a_queue_that_is_not_sqlite_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "queue.db").write_text("notes", encoding="utf-8")
    assert "不是 sqlite 数据库" in _one_line_exit_2(["dead-letters", "list", "--data-dir", str(tmp_path)], capsys)
    assert _files(tmp_path) == ["queue.db"]


def test_status_of_a_data_directory_that_does_not_exist_is_one_line_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-dir"
    assert "does not exist" in _one_line_exit_2(["status", "--data-dir", str(missing)], capsys)
    assert _files(tmp_path) == []
