"""The demo's people, planned from the fleet manifest and the seed: who works each scenario enterprise's alarms,
how, and how long after the alarm; the emergency alert the 应急科 publishes and ends (docs/local.md).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from local.demo.fleet import china_time, enterprise_id_for


class Path(StrEnum):
    """What happens to one enterprise's alarms."""

    RESPOND = "respond"  # the enterprise responds within its 2 h; the bureau leaves it there
    RESPOND_WORKED = "respond_worked"  # responds in time; the branch then dispatches, verifies and closes
    BRANCH_TAKES = "branch_takes"  # the branch takes the pending alarm on itself, verifies and closes
    OVERRUN = "overrun"  # nobody responds: the escalation job dispatches it; the branch verifies and closes


# Round robin over a seeded shuffle, so that a handful of enterprises already shows every path.
PATH_CYCLE = (Path.RESPOND, Path.OVERRUN, Path.RESPOND_WORKED, Path.BRANCH_TAKES)
RESPONDS = frozenset({Path.RESPOND, Path.RESPOND_WORKED})
WORKED = frozenset({Path.RESPOND_WORKED, Path.BRANCH_TAKES, Path.OVERRUN})

# The notice's causes (monitoring.alarms.models.Cause) with what an enterprise writes for each.
CAUSE_TEXTS: dict[str, tuple[str, ...]] = {
    "maintenance": ("治污设施按计划检修，已安排人员现场处理。", "风机例行保养，检修结束后立即恢复运行。"),
    "equipment_fault": ("除尘风机电机故障停机，已联系厂家维修。", "治污设施控制柜跳闸，电工正在排查。"),
    "power_cut": ("厂区线路临时停电，来电后设施恢复运行。",),
    "other": ("操作人员交接班时误停设施，已恢复并加强管理。",),
}
VERIFY_RESULTS = (
    "现场核查：企业所述属实，治污设施已恢复运行。",
    "现场核查：设施曾停运，已责令整改并留存影像。",
    "现场核查：企业已整改到位，运行记录完整。",
)
CLOSE_NOTES = ("核查属实，整改到位，予以办结。", "已督促企业落实整改，办结。")


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One scenario enterprise's alarms: the path and its delays in platform minutes."""

    enterprise: str  # manifest id (RG012)
    enterprise_id: str  # registry id
    scenario: str
    path: Path
    respond_after_min: int  # after the alarm was raised (RESPOND, RESPOND_WORKED)
    dispatch_after_min: int  # after the response (RESPOND_WORKED) or after the alarm was raised (BRANCH_TAKES)
    verify_after_min: int  # after the dispatch (the branch's or the escalation's)
    close_after_min: int  # after the verification
    cause: str
    text: str
    result: str
    close_note: str

    @property
    def username(self) -> str:
        """The enterprise's own account, made by the admin through the API."""
        return f"people_ent_{self.enterprise}"

    def respond_at(self, created: datetime) -> datetime | None:
        return created + timedelta(minutes=self.respond_after_min) if self.path in RESPONDS else None

    def dispatch_at(self, created: datetime) -> datetime | None:
        """When the branch dispatches (None: it does not; an overrun alarm is dispatched by the escalation)."""
        if self.path is Path.RESPOND_WORKED:
            return created + timedelta(minutes=self.respond_after_min + self.dispatch_after_min)
        if self.path is Path.BRANCH_TAKES:
            return created + timedelta(minutes=self.dispatch_after_min)
        return None


@dataclass(frozen=True, slots=True)
class AlertPlan:
    """The emergency alert the 应急科 account publishes during the run and ends before its planned end."""

    alert_id: str
    level: str
    title: str
    publish_at: datetime  # platform time of the publication = the alert's start
    planned_end: datetime  # the end announced when publishing
    end_at: datetime  # platform time the 应急科 ends it (early)


@dataclass(frozen=True, slots=True)
class PeoplePlan:
    seed: int
    behaviours: tuple[Behaviour, ...]
    alert: AlertPlan

    def by_enterprise_id(self) -> dict[str, Behaviour]:
        return {b.enterprise_id: b for b in self.behaviours}


def branch_username(branch_id: str) -> str:
    """A branch's staff account (user names are ≤ 32 characters; branch ids may be longer)."""
    return "people_branch_" + hashlib.sha256(branch_id.encode()).hexdigest()[:10]


def password_for(username: str, seed: int) -> str:
    """The people's passwords: derived, so a demo re-run with --keep signs the same accounts in (loopback only)."""
    return f"People-{seed}-{hashlib.sha256(f'{seed}:{username}'.encode()).hexdigest()[:12]}"


def plan_people(manifest: dict[str, Any], *, seed: int, start: datetime, county_id: str = "rugao") -> PeoplePlan:
    """The plan: every enterprise whose scenario expects an alarm gets a path (round robin over a shuffle seeded by
    `seed`) and delays drawn from a generator seeded by (seed, enterprise); `start` (naive, Beijing time) is the
    simulated start the alert is timed from. Same manifest and seed → the same plan."""
    entries = sorted((e for e in manifest["enterprises"] if e.get("expected_alarms")), key=lambda e: str(e["id"]))
    random.Random(f"people:{seed}").shuffle(entries)
    behaviours = []
    for i, entry in enumerate(entries):
        rng = random.Random(f"people:{seed}:{entry['id']}")
        cause = rng.choice(sorted(CAUSE_TEXTS))
        behaviours.append(
            Behaviour(
                enterprise=str(entry["id"]),
                enterprise_id=enterprise_id_for(county_id, entry),
                scenario=str(entry.get("scenario", "")),
                path=PATH_CYCLE[i % len(PATH_CYCLE)],
                respond_after_min=rng.randint(10, 40),  # well inside the 2 h limit
                dispatch_after_min=rng.randint(5, 20),
                verify_after_min=rng.randint(10, 30),
                close_after_min=rng.randint(5, 15),
                cause=cause,
                text=rng.choice(CAUSE_TEXTS[cause]),
                result=rng.choice(VERIFY_RESULTS),
                close_note=rng.choice(CLOSE_NOTES),
            )
        )
    rng = random.Random(f"people:{seed}:alert")
    publish = china_time(start.isoformat()) + timedelta(minutes=rng.randint(20, 25))
    alert = AlertPlan(
        alert_id=f"demo-alert-{seed}",
        # Orange, county-wide: only enterprises with orange measures are judged (the simulated curtailment
        # scenario's, whose violation window the alert lies in), so it raises no alarm the scenarios do not expect.
        level="orange",
        title="演示：重污染天气橙色预警",
        publish_at=publish,
        planned_end=publish + timedelta(hours=6),
        end_at=publish + timedelta(minutes=rng.randint(40, 55)),  # both inside demo-check's 95 minutes
    )
    return PeoplePlan(seed, tuple(sorted(behaviours, key=lambda b: b.enterprise)), alert)
