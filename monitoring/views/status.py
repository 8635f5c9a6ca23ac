"""An enterprise's status now (producing / stopped / curtailed / unknown) from the rule engine's last word.

A status older than `STALE_AFTER` is reported as unknown (无数据): a silent enterprise is not a stopped one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from monitoring.rules.ports import RuleStateRepository
from monitoring.rules.state_docs import EnterpriseStatus

PRODUCING: Final = "producing"
STOPPED: Final = "stopped"
CURTAILED: Final = "curtailed"
UNKNOWN: Final = "unknown"
STATUSES: Final = (PRODUCING, STOPPED, CURTAILED, UNKNOWN)
STATUS_NAMES: Final = {PRODUCING: "生产", STOPPED: "停产", CURTAILED: "限产", UNKNOWN: "无数据"}
# The engine writes each enterprise's status every tick (a minute) about `settle` minutes behind: 15 min covers a
# few missed ticks; older than that the platform does not know.
STALE_AFTER: Final = timedelta(minutes=15)


def current_status(state: RuleStateRepository, enterprise_id: str, now: datetime) -> tuple[str, datetime | None]:
    """(status, the minute it was judged at); unknown when never judged or judged too long ago."""
    found = EnterpriseStatus.load(state, enterprise_id)
    if found is None:
        return UNKNOWN, None
    if now - found.at > STALE_AFTER or found.status not in STATUSES:
        return UNKNOWN, found.at
    return found.status, found.at


def statuses(state: RuleStateRepository, enterprise_ids: Iterable[str], now: datetime) -> dict[str, str]:
    return {eid: current_status(state, eid, now)[0] for eid in enterprise_ids}
