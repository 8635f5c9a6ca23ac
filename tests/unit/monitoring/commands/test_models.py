"""Command records validate CN/QN and times; the transition table has no way out of a final state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.commands.models import TRANSITIONS, Command, CommandStatus, can_transition
from monitoring.errors import InvalidInputError

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _cmd(**kw: object) -> Command:
    fields: dict[str, object] = dict(
        command_id="c1", mn="MN1", cn="1012", qn="20261128100000001", created_at=T, expires_at=T + timedelta(minutes=5)
    )
    fields.update(kw)
    return Command(**fields)  # type: ignore[arg-type]


def test_final_states_have_no_exit_and_others_can_expire_or_finish() -> None:
    for status in CommandStatus:
        assert (TRANSITIONS[status] == frozenset()) is status.final
    assert can_transition(CommandStatus.SENT, CommandStatus.PENDING)  # retry after a dropped session
    assert not can_transition(CommandStatus.PENDING, CommandStatus.SUCCEEDED)


@pytest.mark.parametrize(
    "overrides",
    [
        {"cn": "12"},
        {"qn": "2026"},
        {"expires_at": T},
        {"created_at": datetime(2026, 1, 1)},
        {"attempts": -1},
        {"mn": ""},
    ],
)
def test_command_with_invalid_field_raises_invalid_input(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        _cmd(**overrides)


def test_command_params_are_stringified_and_frozen() -> None:
    c = _cmd(params={"RtdInterval": 30})  # type: ignore[dict-item]
    assert c.params == {"RtdInterval": "30"}
    with pytest.raises(TypeError):
        c.params["x"] = "y"  # type: ignore[index]


def test_command_result_must_be_bounded_json() -> None:
    with pytest.raises(InvalidInputError):
        _cmd(result={"bad": object()})
    with pytest.raises(InvalidInputError):
        _cmd(result={"nan": float("nan")})
    with pytest.raises(InvalidInputError):
        _cmd(result={"big": "x" * 70_000})
    with pytest.raises(InvalidInputError):
        _cmd(detail="x" * 501)
    assert dict(_cmd(result={"frames": 2, "cp": [{"Ia": "1.0"}]}).result) == {"frames": 2, "cp": [{"Ia": "1.0"}]}
