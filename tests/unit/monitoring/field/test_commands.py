"""Commissioning commands: the catalogue's argument checks, queueing, the six states, password changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.commands.models import Command, CommandStatus
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.field import commands as fc
from monitoring.field.commands import CommandKind, CommandState
from monitoring.registry.terminal import verify_password
from monitoring.storage.ports import Store

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 6, 2, 30, 15, tzinfo=UTC)  # 10:30:15 China time
DAY, TEN_AM = "20261206", "20261206100000"


def _create(store: Store, kind: CommandKind, **args: object) -> Command:
    return fc.create_command(
        store.commands, store.registry, mn="MN0001", kind=kind, args=args, requested_by="acct-1", now=NOW
    )


@pytest.mark.parametrize(
    ("kind", "args", "params"),
    [
        (CommandKind.READ_REALTIME, {}, {}),
        (CommandKind.SET_TIME, {}, {}),
        (
            CommandKind.SET_TIME,
            {"system_time": datetime(2026, 12, 6, 2, 0, tzinfo=UTC)},
            {"SystemTime": "20261206100000"},
        ),
        (CommandKind.SET_REALTIME_INTERVAL, {"seconds": 60}, {"RtdInterval": "60"}),
        (CommandKind.SET_MINUTE_INTERVAL, {"minutes": 15}, {"MinInterval": "15"}),
        (
            CommandKind.READ_RECENT_MINUTES,
            {"minutes": 10},
            {"BeginTime": "20261206102000", "EndTime": "20261206103000"},
        ),
    ],
)
def test_each_kind_queues_its_cn_with_checked_parameters(
    store: Store, kind: CommandKind, args: dict[str, object], params: dict[str, str]
) -> None:
    command = _create(store, kind, **args)
    assert command.cn == fc.KINDS[kind].cn and dict(command.params) == params
    assert command.status is CommandStatus.PENDING and command.expires_at == NOW + fc.DEFAULT_TTL
    assert command.qn.startswith("20261206103015")  # China time, HJ 212 QN
    assert store.commands.pending_for("MN0001", NOW) == [command]
    assert fc.kind_of(command) is kind


@pytest.mark.parametrize(
    ("kind", "args"),
    [
        (CommandKind.READ_REALTIME, {"seconds": 1}),
        (CommandKind.SET_REALTIME_INTERVAL, {"seconds": 29}),
        (CommandKind.SET_REALTIME_INTERVAL, {"seconds": "60"}),
        (CommandKind.SET_REALTIME_INTERVAL, {"seconds": True}),
        (CommandKind.SET_MINUTE_INTERVAL, {"minutes": 7}),
        (CommandKind.SET_PASSWORD, {"new_password": "abc;PW=1"}),
        (CommandKind.SET_PASSWORD, {"new_password": "1234567"}),
        (CommandKind.SET_TIME, {"system_time": datetime(2026, 12, 6, 10, 0)}),
        (CommandKind.READ_RECENT_MINUTES, {"minutes": 61}),
        (CommandKind.GET_TIME, {"x": 1}),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_queued(
    store: Store, kind: CommandKind, args: dict[str, object]
) -> None:
    with pytest.raises(InvalidInputError):
        _create(store, kind, **args)
    assert store.commands.for_mn("MN0001") == []


def test_unknown_terminal_gets_no_command(store: Store) -> None:
    with pytest.raises(NotFoundError):
        fc.create_command(store.commands, store.registry, mn="MN9999", kind=CommandKind.GET_TIME, args={},
                          requested_by="a", now=NOW)  # fmt: skip


def test_two_commands_in_one_millisecond_get_distinct_qns(store: Store) -> None:
    one, two = _create(store, CommandKind.GET_TIME), _create(store, CommandKind.GET_TIME)
    assert one.qn != two.qn and one.command_id != two.command_id


def test_statuses_map_to_the_six_states_people_see() -> None:
    assert {fc.state_of(s) for s in CommandStatus} == set(CommandState)
    assert fc.state_of(CommandStatus.REJECTED) is CommandState.FAILED
    assert fc.state_of(CommandStatus.EXPIRED) is CommandState.TIMED_OUT
    assert fc.STATE_NAMES[CommandState.ACKNOWLEDGED] == "终端已应答"


def test_password_change_accepts_both_until_settled_then_only_the_new(store: Store) -> None:
    # Given a password change queued
    command = _create(store, CommandKind.SET_PASSWORD, new_password="654321")
    assert fc.shown_params(command) == {"NewPW": "******"}
    terminal = store.registry.get_terminal("MN0001")
    assert verify_password(terminal, "123456") and verify_password(terminal, "654321")
    # and a second one refused while it is in flight
    with pytest.raises(ConflictError):
        _create(store, CommandKind.SET_PASSWORD, new_password="111111")
    # When the terminal confirms it
    for old, new in ((CommandStatus.PENDING, CommandStatus.SENT), (CommandStatus.SENT, CommandStatus.SUCCEEDED)):
        done = store.commands.transition(command.command_id, old, new, at=NOW)
    fc.settle_command(store.registry, done)
    # Then only the new password opens the door
    terminal = store.registry.get_terminal("MN0001")
    assert verify_password(terminal, "654321") and not verify_password(terminal, "123456")
    assert terminal.next_password_hash is None


@pytest.mark.parametrize(
    ("final", "both_kept"),
    [(CommandStatus.REJECTED, False), (CommandStatus.FAILED, False), (CommandStatus.TIMED_OUT, True)],
)
def test_password_change_that_did_not_succeed(store: Store, final: CommandStatus, both_kept: bool) -> None:
    command = _create(store, CommandKind.SET_PASSWORD, new_password="654321")
    store.commands.transition(command.command_id, CommandStatus.PENDING, CommandStatus.SENT, at=NOW)
    fc.settle_command(store.registry, store.commands.transition(command.command_id, CommandStatus.SENT, final, at=NOW))
    terminal = store.registry.get_terminal("MN0001")
    assert verify_password(terminal, "123456")
    assert verify_password(terminal, "654321") is both_kept


def test_expired_password_change_drops_the_new_password(store: Store) -> None:
    command = _create(store, CommandKind.SET_PASSWORD, new_password="654321")
    (expired,) = store.commands.expire_overdue("MN0001", NOW + timedelta(days=2))
    fc.settle_command(store.registry, expired)
    terminal = store.registry.get_terminal("MN0001")
    assert not verify_password(terminal, "654321") and verify_password(terminal, "123456")
    assert expired.command_id == command.command_id and expired.status is CommandStatus.EXPIRED


def test_commands_page_newest_first_by_cursor(store: Store) -> None:
    made = [
        fc.create_command(
            store.commands,
            store.registry,
            mn="MN0001",
            kind=CommandKind.GET_TIME,
            args={},
            requested_by="a",
            now=NOW + timedelta(seconds=i),
        )  # fmt: skip
        for i in range(5)
    ]
    first, cursor = fc.commands_page(store.commands, "MN0001", after=None, limit=2)
    assert [c.command_id for c in first] == [made[4].command_id, made[3].command_id] and cursor is not None
    rest, end = fc.commands_page(store.commands, "MN0001", after=cursor, limit=10)
    assert [c.command_id for c in rest] == [c.command_id for c in reversed(made[:3])] and end is None
    with pytest.raises(InvalidInputError):
        fc.commands_page(store.commands, "MN0001", after="cmd-nope", limit=2)


def test_lapsed_password_change_of_an_offline_terminal_does_not_block_a_new_one(store: Store) -> None:
    # Given a change queued for a terminal that never came online before its deadline
    fc.create_command(store.commands, store.registry, mn="MN0001", kind=CommandKind.SET_PASSWORD,
                      args={"new_password": "111111"}, requested_by="a", now=NOW, ttl=timedelta(hours=1))  # fmt: skip
    # When the installer queues another one two hours later
    later = NOW + timedelta(hours=2)
    fc.create_command(store.commands, store.registry, mn="MN0001", kind=CommandKind.SET_PASSWORD,
                      args={"new_password": "222222"}, requested_by="a", now=later)  # fmt: skip
    # Then the lapsed one is expired and its password no longer opens the door; the new one does
    terminal = store.registry.get_terminal("MN0001")
    assert not verify_password(terminal, "111111") and verify_password(terminal, "222222")
    assert sorted(c.status.value for c in store.commands.for_mn("MN0001")) == ["expired", "pending"]
