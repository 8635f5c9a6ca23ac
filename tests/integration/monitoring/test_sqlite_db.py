"""The sqlite adapter's own machinery: migrations, append-only archive, tamper evidence, two connections."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitoring.archive.models import RawFrame
from monitoring.clock import FixedClock
from monitoring.errors import ConflictError, InvalidInputError, StorageUnavailableError
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.memory import MemoryArchiveRepository
from monitoring.storage.sqlite import archive as archive_module
from monitoring.storage.sqlite import db as db_module
from monitoring.storage.sqlite import open_store
from monitoring.storage.sqlite import readings as readings_module
from monitoring.storage.sqlite.archive import SqliteArchiveRepository
from monitoring.storage.sqlite.db import SCHEMA_DIR, Database, connect, migrate, migration_files, translate
from monitoring.storage.sqlite.readings import SqliteReadingsRepository
from tests.contract.storage import builders as b

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_migrate_applies_each_file_once_and_records_it(tmp_path: Path) -> None:
    # Given a fresh database
    conn = connect(tmp_path / "m.db")
    # When migrated twice
    first = migrate(conn)
    second = migrate(conn)
    # Then every shipped file ran once, in order, and is recorded with its checksum
    assert first == [p.name for p in migration_files()] and second == []
    rows = conn.execute(  # in numeric order, as applied (a name sort puts 110_… before 20_…)
        "SELECT name, length(sha256) FROM schema_migration"
        " ORDER BY CAST(substr(name, 1, instr(name, '_') - 1) AS INTEGER)"
    ).fetchall()
    assert [r[0] for r in rows] == first and {r[1] for r in rows} == {64}
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrate_with_a_failing_file_leaves_nothing_behind(tmp_path: Path) -> None:
    # Given a schema dir whose second file breaks halfway
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "10_a.sql").write_text("CREATE TABLE a (x INTEGER);\n", encoding="utf-8")
    (schema / "20_b.sql").write_text("CREATE TABLE b (x INTEGER);\nCREATE TABLE a (x INTEGER);\n", encoding="utf-8")
    conn = connect(tmp_path / "m.db")
    # When migrating
    with pytest.raises(StorageUnavailableError, match="20_b.sql"):
        migrate(conn, schema)
    # Then the first file stands, the second left no table and no record
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "a" in tables and "b" not in tables
    assert [r[0] for r in conn.execute("SELECT name FROM schema_migration")] == ["10_a.sql"]
    # And a fixed file is applied on the next start
    (schema / "20_b.sql").write_text("CREATE TABLE b (x INTEGER);\n", encoding="utf-8")
    assert migrate(conn, schema) == ["20_b.sql"]


def test_migration_files_with_a_bad_name_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "readings.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(InvalidInputError):
        migration_files(tmp_path)


def test_migration_files_are_in_numeric_order_past_99(tmp_path: Path) -> None:
    for name in ("100_c.sql", "99_b.sql", "05_a.sql"):
        (tmp_path / name).write_text("SELECT 1;", encoding="utf-8")
    assert [p.name for p in migration_files(tmp_path)] == ["05_a.sql", "99_b.sql", "100_c.sql"]


def test_shipped_schema_files_follow_the_naming_rule() -> None:
    assert len(migration_files(SCHEMA_DIR)) >= 5


def test_archive_rows_cannot_be_updated_or_deleted(tmp_path: Path) -> None:
    store = open_store(tmp_path / "a.db")
    store.archive.append(b.raw_frame(at=NOW))
    db = Database(tmp_path / "a.db")
    for sql in ("UPDATE archive_frame SET raw = x'00'", "DELETE FROM archive_frame"):
        with pytest.raises(ConflictError, match="append-only"), db.write() as conn:
            conn.execute(sql)
    db.close()
    store.close()


def test_archive_tampering_behind_the_triggers_is_found_at_the_exact_record(tmp_path: Path) -> None:
    # Given a chain of five frames
    store = open_store(tmp_path / "a.db")
    for i in range(5):
        store.archive.append(b.raw_frame(at=NOW + timedelta(seconds=i), payload=b"F%d" % i))
    store.close()
    # When someone with file access drops the trigger and rewrites frame 3's bytes
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute("DROP TRIGGER archive_frame_no_update")
    conn.execute("UPDATE archive_frame SET raw = ? WHERE seq = 3", (b"F9",))
    conn.commit()
    conn.close()
    # Then verification names record 3
    result = open_store(tmp_path / "a.db").archive.verify("MN0001")
    assert not result.ok and result.first_broken_seq == 3 and result.checked == 2
    assert "content" in result.reason


def test_archive_deleted_record_is_found_as_a_gap(tmp_path: Path) -> None:
    store = open_store(tmp_path / "a.db")
    for i in range(4):
        store.archive.append(b.raw_frame(at=NOW + timedelta(seconds=i), payload=b"F%d" % i))
    store.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute("DROP TRIGGER archive_frame_no_delete")
    conn.execute("DELETE FROM archive_frame WHERE seq = 2")
    conn.commit()
    conn.close()
    result = open_store(tmp_path / "a.db").archive.verify("MN0001")
    assert not result.ok and result.first_broken_seq == 2


def test_two_stores_on_one_file_share_one_unbroken_chain(tmp_path: Path) -> None:
    # Given two independent connections (as two processes would have) appending concurrently
    stores = [open_store(tmp_path / "shared.db"), open_store(tmp_path / "shared.db")]

    def work(k: int) -> None:
        for i in range(20):
            stores[k].archive.append(b.raw_frame(at=NOW + timedelta(seconds=k * 100 + i), payload=b"%d-%d" % (k, i)))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then no seq was taken twice and the chain verifies
    result = stores[0].archive.verify("MN0001")
    assert result.ok and result.checked == 40
    for s in stores:
        s.close()


def test_translate_maps_sqlite_errors_to_domain_errors() -> None:
    assert isinstance(translate(sqlite3.IntegrityError("UNIQUE")), ConflictError)
    assert isinstance(translate(sqlite3.OperationalError("database is locked")), StorageUnavailableError)
    assert isinstance(translate(sqlite3.ProgrammingError("bad binding")), InvalidInputError)


def test_store_reopened_from_disk_keeps_everything(tmp_path: Path) -> None:
    store = open_store(tmp_path / "d.db")
    b.seed_jurisdictions(store.registry)
    store.registry.put_enterprise(b.enterprise())
    store.close()
    again = open_store(tmp_path / "d.db")
    assert again.registry.get_enterprise("e1").version == 1
    again.close()


def test_nested_write_joins_the_outer_transaction_and_rolls_back_with_it(tmp_path: Path) -> None:
    db = Database(tmp_path / "n.db")
    # Given an outer transaction whose inner statement fails and is handled
    with db.write() as conn:
        conn.execute("INSERT INTO reading_completeness (point_id, day, body) VALUES ('p', '2026-11-28', '{}')")
        with pytest.raises(ConflictError), db.write() as inner:
            inner.execute("INSERT INTO reading_completeness (point_id, day, body) VALUES ('p', '2026-11-28', '{}')")
        inner.execute("INSERT INTO reading_completeness (point_id, day, body) VALUES ('q', '2026-11-28', '{}')")
    # Then the outer work commits
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM reading_completeness").fetchone()[0] == 2
    # And when the outer block fails after an inner write, everything is undone
    with pytest.raises(RuntimeError), db.write() as conn:
        with db.write() as inner:
            inner.execute("INSERT INTO reading_completeness (point_id, day, body) VALUES ('r', '2026-11-28', '{}')")
        raise RuntimeError("boom")
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM reading_completeness").fetchone()[0] == 2
    db.close()


def test_registry_batch_on_sqlite_is_all_or_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "b.db")
    # Given a batch that fails after two writes
    with pytest.raises(ConflictError), store.registry.batch():
        store.registry.put_enterprise(b.enterprise("e1"))
        store.registry.put_enterprise(b.enterprise("e2"))
        store.registry.put_enterprise(b.enterprise("e1"))  # create of an existing record
    # Then neither write survived
    assert store.registry.list_enterprises("rugao") == []
    store.close()


def test_a_writer_waiting_for_the_lock_gets_it_within_milliseconds_of_its_release(tmp_path: Path) -> None:
    # Given another connection holding the write lock for 235 ms (sqlite's own busy handler would sleep from
    # 228 ms to 328 ms then)
    path = tmp_path / "lock.db"
    db = Database(path)
    other = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released: list[float] = []

    def release_later() -> None:
        time.sleep(0.235)
        released.append(time.monotonic())
        other.execute("COMMIT")

    holder = threading.Thread(target=release_later)
    holder.start()
    # When this database opens a write transaction meanwhile
    with db.write() as conn:
        acquired = time.monotonic()
        conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    holder.join()
    # Then it waited for the release and no longer (sqlite's own busy handler may oversleep by up to 100 ms)
    assert released and 0 <= acquired - released[0] < 0.04
    # And its busy timeout is back for other statements
    assert db.conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.busy_timeout_ms
    other.close()
    db.close()


def test_a_writer_gives_up_after_its_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    db = Database(path, busy_timeout_ms=100)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError), db.write():
        pass
    assert 0.09 <= time.monotonic() - started < 1.0
    other.execute("ROLLBACK")
    other.close()
    db.close()


def test_rowid_migration_keeps_every_reading_and_archived_frame_and_the_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a database at the schema before 70_rowid_tables.sql, holding readings and two archive chains
    old_schema = tmp_path / "schema"
    old_schema.mkdir()
    for path in migration_files():
        if int(path.name.split("_", 1)[0]) < 70:  # numerically: "130_…" sorts before "70_" as text
            (old_schema / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "old.db"
    monkeypatch.setattr(db_module, "migrate", lambda conn: migrate(conn, old_schema))
    db = Database(path)
    monkeypatch.undo()
    archive, readings = SqliteArchiveRepository(db), SqliteReadingsRepository(db, clock=FixedClock(NOW))
    for i in range(5):
        for mn in ("MN0001", "MN0002"):
            archive.append(b.raw_frame(mn=mn, at=NOW + timedelta(seconds=i), payload=b"F%d" % i))
    stored = [
        Reading(f"p{k}", NOW + timedelta(minutes=i), ReadingKind.MINUTE, {"p": i + 0.5}, {"p": "N"}, mn="MN0001")
        for i in range(3)
        for k in range(2)
    ]
    readings.put_readings(stored)
    chains = {mn: archive.chain(mn) for mn in ("MN0001", "MN0002")}
    rows = db.conn.execute("SELECT * FROM reading ORDER BY point_id, kind, data_time").fetchall()
    db.close()
    # When the store opens it (applying 70_rowid_tables.sql)
    store = open_store(path, clock=FixedClock(NOW))
    # Then everything reads back identically, the chains verify, and the tables are rowid tables now
    for mn, chain in chains.items():
        assert store.archive.chain(mn) == chain and store.archive.verify(mn).ok and len(chain) == 5
    conn = connect(path)
    assert conn.execute("SELECT * FROM reading ORDER BY point_id, kind, data_time").fetchall() == rows
    assert len(rows) == 6 and store.readings.latest("p1", ReadingKind.MINUTE) == stored[-1]
    for table in ("reading", "archive_frame"):
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
        assert "WITHOUT ROWID" not in sql
    # uniqueness and the append-only triggers hold on the new tables
    assert store.readings.put_readings(stored) == [False] * 6
    appended = store.archive.append(b.raw_frame(mn="MN0001", at=NOW + timedelta(seconds=4), payload=b"F4"))
    assert appended.seq == 5  # a redelivery: the existing record
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM archive_frame WHERE seq = 1")


def _batch_frames() -> list[RawFrame]:
    frames = [
        b.raw_frame(mn=mn, at=NOW + timedelta(seconds=i), payload=b"B%d" % i)
        for i in range(4)
        for mn in ("MN0001", "MN0002", "MN0003")
    ]
    return [*frames, frames[4]]  # the same receipt twice in one batch


def test_archive_batch_links_exactly_as_frame_by_frame_appends(tmp_path: Path) -> None:
    # Given a chain with earlier frames, and a batch mixing terminals, a redelivered receipt and a repeat
    earlier = [b.raw_frame(mn="MN0001", at=NOW - timedelta(seconds=i), payload=b"E%d" % i) for i in range(2)]
    batched, reference = open_store(tmp_path / "batched.db"), MemoryArchiveRepository()
    for store_archive in (batched.archive, reference):
        store_archive.append_many(earlier)
    batch = [earlier[1], *_batch_frames()]
    # When the sqlite store archives it in one go
    got = batched.archive.append_many(batch)
    # Then every record (seq, links, hashes; redeliveries returning the stored record) equals the base's
    assert got == [reference.append(frame) for frame in batch]
    assert got[0].seq == 2 and got[-1] == got[5]
    for mn in ("MN0001", "MN0002", "MN0003"):
        assert batched.archive.verify(mn).ok
        assert batched.archive.chain(mn) == reference.chain(mn)


def test_archive_batch_that_clashes_is_undone_and_done_frame_by_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "a.db")
    real = SqliteArchiveRepository._append_batch

    def clash(self: SqliteArchiveRepository, conn: sqlite3.Connection, frames: list[RawFrame]) -> object:
        # rows go in with bogus hashes, then a clash as if another writer had slipped in: all must be undone
        with monkeypatch.context() as patch:
            patch.setattr(archive_module, "link_hash", lambda prev, frame: "f" * 64)
            real(self, conn, frames)
        raise sqlite3.IntegrityError("UNIQUE constraint failed: archive_frame.mn, archive_frame.seq")

    monkeypatch.setattr(SqliteArchiveRepository, "_append_batch", clash)
    got = store.archive.append_many(_batch_frames())
    assert [r.seq for r in got[:3]] == [1, 1, 1] and got[-1] == got[4]
    for mn in ("MN0001", "MN0002", "MN0003"):
        result = store.archive.verify(mn)
        assert result.ok and result.checked == 4


def test_registry_reads_of_changed_documents_are_never_stale(tmp_path: Path) -> None:
    # Given a point and a terminal read once (decoded records are reused while their stored text is unchanged)
    store, other = open_store(tmp_path / "r.db"), open_store(tmp_path / "r.db")
    store.registry.put_terminal(b.terminal())
    store.registry.put_point(b.point(mn="MN0001", channel="01"))
    first = store.registry.points_for_mn("MN0001")
    assert store.registry.points_for_mn("MN0001") == first and store.registry.find_terminal("MN0001") is not None
    # When another connection (another process) changes both
    (point,) = first
    other.registry.put_point(dataclasses.replace(point, ct_ratio=40.0))
    other.registry.record_terminal_seen("MN0001", NOW, peer="1.2.3.4:5")
    # Then the next reads see the changes
    (changed,) = store.registry.points_for_mn("MN0001")
    assert changed.ct_ratio == 40.0 and changed.version == point.version + 1
    seen = store.registry.find_terminal("MN0001")
    assert seen is not None and seen.last_frame_at == NOW and seen.online
    assert store.registry.get_terminal("MN0001") == seen


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "row-by-row"])
@pytest.mark.parametrize("rows_per_insert", [400, 2])
def test_reading_batch_reports_exactly_which_rows_were_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, returning: bool, rows_per_insert: int
) -> None:
    monkeypatch.setattr(readings_module, "_RETURNING", returning)
    monkeypatch.setattr(readings_module, "_ROWS_PER_INSERT", rows_per_insert)
    store = open_store(tmp_path / "r.db", clock=FixedClock(NOW))

    def reading(point_id: str, minute: int, value: float) -> Reading:
        return Reading(point_id, NOW + timedelta(minutes=minute), ReadingKind.MINUTE, {"p": value}, mn="MN0001")

    assert store.readings.put_readings([reading("p1", 0, 1.0), reading("p2", 0, 1.0)]) == [True, True]
    # a stored key, a new one, the new one again (first wins), another new one, the stored one again
    batch = [reading("p1", 0, 9.0), reading("p1", 1, 2.0), reading("p1", 1, 9.0), reading("p3", 0, 3.0)]
    assert store.readings.put_readings([*batch, reading("p2", 0, 9.0)]) == [False, True, False, True, False]
    got = store.readings.readings("p1", ReadingKind.MINUTE, NOW, NOW + timedelta(hours=1))
    assert [r.values["p"] for r in got] == [1.0, 2.0]
    assert store.readings.latest("p1", ReadingKind.MINUTE) == batch[1]


def test_archive_batch_that_fails_otherwise_leaves_nothing_in_the_callers_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "a.db")
    real = SqliteArchiveRepository._append_batch

    def fail(self: SqliteArchiveRepository, conn: sqlite3.Connection, frames: list[RawFrame]) -> object:
        real(self, conn, frames)
        raise StorageUnavailableError("disk went away")

    monkeypatch.setattr(SqliteArchiveRepository, "_append_batch", fail)
    with store.batch():
        with pytest.raises(StorageUnavailableError):
            store.archive.append_many(_batch_frames())
        store.archive.append(b.raw_frame(mn="MN0009", at=NOW))  # the caller carries on in its transaction
    assert store.archive.chain("MN0001") == [] and store.archive.verify("MN0009").checked == 1
