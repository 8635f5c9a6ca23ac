"""A condition's log lines: one when it begins, one per period while it holds, one when it ends."""

from __future__ import annotations

from local.conditions import Condition


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_condition_is_logged_when_raised_then_once_a_period_while_it_holds_then_when_cleared() -> None:
    clock = Clock()
    condition = Condition(30.0, clock)
    assert condition.update(False) == "" and not condition.holds
    changes = []
    for _ in range(31):  # checked every 2 s for 62 s
        changes.append(condition.update(True))
        clock.t += 2.0
    assert changes[0] == "raised" and condition.holds
    # every 30 s again, not on every check: at most one line per period (so ≥ 1 in each 1-minute alarm period)
    assert [i * 2 for i, c in enumerate(changes) if c == "holds"] == [30, 60]
    assert changes.count("") == 28
    assert condition.update(False) == "cleared" and not condition.holds
    assert condition.update(False) == ""
    # raised again at once when it comes back
    assert condition.update(True) == "raised"
