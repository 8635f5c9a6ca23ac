"""Campaign records: the campaign with its deadlines (per town overrides), and one campaign file per enterprise
holding each step's record (survey, installation, networked, trial run, acceptance, filing)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError
from monitoring.registry._labels import LabelledEnum
from monitoring.registry.models import check_id, check_text

MAX_PHOTOS = 9
MAX_FACILITIES = 60
_PHOTO_ID = re.compile(r"^ph-[0-9a-f]{32}$")


class Step(LabelledEnum):
    """A deadline step of the campaign notice (三): survey; install and network; acceptance filing."""

    SURVEY = ("survey", "勘察")
    NETWORK = ("network", "安装联网")
    FILING = ("filing", "验收备案")


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The last day (Beijing calendar date, inclusive) of each step."""

    survey: date
    network: date
    filing: date

    def __post_init__(self) -> None:
        if not self.survey <= self.network <= self.filing:
            raise InvalidInputError("期限须按 勘察 ≤ 安装联网 ≤ 验收备案 的顺序")

    def of(self, step: Step) -> date:
        return {Step.SURVEY: self.survey, Step.NETWORK: self.network, Step.FILING: self.filing}[step]


@dataclass(frozen=True, slots=True)
class TownDeadlines:
    town_id: str
    deadlines: Deadlines

    def __post_init__(self) -> None:
        check_id(self.town_id, "town_id")


@dataclass(frozen=True, slots=True)
class Campaign:
    """One county's campaign (e.g. 如皋 2022): deadlines per step, some towns may have their own."""

    campaign_id: str
    county_id: str
    name: str
    deadlines: Deadlines
    town_deadlines: tuple[TownDeadlines, ...] = ()
    trial_workdays: int = 7  # 附件2.5
    trial_threshold: float = 0.9  # daily completeness a trial-run day needs
    filing_workdays: int = 5  # 附件2.6

    def __post_init__(self) -> None:
        check_id(self.campaign_id, "campaign_id")
        check_id(self.county_id, "county_id")
        check_text(self.name, "活动名称", max_len=100)
        if not 1 <= self.trial_workdays <= 60:
            raise InvalidInputError("试运行天数须在 1–60 个工作日之间")
        if not 0 < self.trial_threshold <= 1:
            raise InvalidInputError("试运行完整率阈值须在 (0, 1] 之间")
        if not 1 <= self.filing_workdays <= 60:
            raise InvalidInputError("备案期限须在 1–60 个工作日之间")
        towns = [t.town_id for t in self.town_deadlines]
        if len(towns) != len(set(towns)):
            raise InvalidInputError("同一镇街的期限只能设一次")

    def deadlines_for(self, town_id: str) -> Deadlines:
        for t in self.town_deadlines:
            if t.town_id == town_id:
                return t.deadlines
        return self.deadlines


def _photos(photo_ids: tuple[str, ...]) -> None:
    if len(photo_ids) > MAX_PHOTOS:
        raise InvalidInputError(f"照片最多 {MAX_PHOTOS} 张")
    for p in photo_ids:
        if not _PHOTO_ID.match(p):
            raise InvalidInputError(f"照片编号格式不正确: {p!r}")


def _remarks(text: str) -> None:
    if len(text) > 1000 or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInputError("备注：最多 1000 字，不能含控制字符")


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    """点位勘查: the facilities found, the points planned (count and names), photos, who surveyed and when."""

    at: datetime
    by: str
    facilities: tuple[str, ...]
    planned_points: tuple[str, ...]
    photo_ids: tuple[str, ...] = ()
    remarks: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "at"))
        check_id(self.by, "by")
        if not self.facilities or len(self.facilities) > MAX_FACILITIES:
            raise InvalidInputError(f"勘察须列出 1–{MAX_FACILITIES} 个设施")
        if not self.planned_points or len(self.planned_points) > MAX_FACILITIES:
            raise InvalidInputError(f"勘察须列出 1–{MAX_FACILITIES} 个拟装点位")
        for f in (*self.facilities, *self.planned_points):
            check_text(f, "设施/点位名称", max_len=60)
        _photos(self.photo_ids)
        _remarks(self.remarks)


@dataclass(frozen=True, slots=True)
class StepRecord:
    """A step done by a person (installation, acceptance): when, who, remarks, photos."""

    at: datetime
    by: str
    remarks: str = ""
    photo_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "at"))
        check_text(self.by, "记录人", max_len=100)
        _photos(self.photo_ids)
        _remarks(self.remarks)


class TrialOutcome(LabelledEnum):
    RUNNING = ("running", "试运行中")
    PASSED = ("passed", "通过")
    FAILED = ("failed", "未通过")


@dataclass(frozen=True, slots=True)
class TrialDay:
    """One working day of the trial: the lowest daily completeness among the enterprise's points."""

    day: date
    completeness: float

    def __post_init__(self) -> None:
        if not 0 <= self.completeness <= 1:
            raise InvalidInputError("完整率须在 0–1 之间")


@dataclass(frozen=True, slots=True)
class TrialRun:
    """试运行: starts at the first data; each following working day judged by completeness until it passes or
    fails by itself (`reason` says why)."""

    started_at: datetime
    outcome: TrialOutcome = TrialOutcome.RUNNING
    days: tuple[TrialDay, ...] = ()
    reason: str = ""
    ended_on: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "started_at", require_utc(self.started_at, "started_at"))


@dataclass(frozen=True, slots=True)
class Filing:
    """验收备案: when it was filed, by whom, the due date (5 working days after acceptance) and whether late."""

    at: datetime
    by: str
    due: date
    late: bool
    remarks: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "at"))
        check_text(self.by, "记录人", max_len=100)
        _remarks(self.remarks)


@dataclass(frozen=True, slots=True)
class LateStep:
    """A campaign step done after its deadline (calendar days, the notice's dates), recorded when it is done."""

    step: Step
    due: date
    done_on: date

    @property
    def days(self) -> int:
        return (self.done_on - self.due).days


@dataclass(frozen=True, slots=True)
class CampaignFile:
    """An enterprise's campaign file; its status is the registry's `install_status` (one source), the records
    here say who did each step and when. Written conditionally on `version` like registry records."""

    campaign_id: str
    enterprise_id: str
    survey: SurveyRecord | None = None
    installation: StepRecord | None = None
    networked_at: datetime | None = None
    trials: tuple[TrialRun, ...] = ()  # newest last; a failed trial may be followed by a new one
    acceptance: StepRecord | None = None
    filing: Filing | None = None
    late_steps: tuple[LateStep, ...] = ()  # steps done after their campaign deadline, in the order done
    network_confirmed_on: date | None = None  # the Beijing day the platform confirmed 已联网 (trial entered after)
    version: int = 0

    def __post_init__(self) -> None:
        check_id(self.campaign_id, "campaign_id")
        check_id(self.enterprise_id, "enterprise_id")
        if self.networked_at is not None:
            object.__setattr__(self, "networked_at", require_utc(self.networked_at, "networked_at"))

    @property
    def trial(self) -> TrialRun | None:
        return self.trials[-1] if self.trials else None

    def with_late(self, step: Step, due: date, done_on: date) -> CampaignFile:
        """The file with `step` recorded late if `done_on` is after `due` (a step is recorded late once)."""
        if done_on <= due or any(s.step is step for s in self.late_steps):
            return self
        return dataclasses.replace(self, late_steps=(*self.late_steps, LateStep(step, due, done_on)))


def check_photo_ids(photo_ids: tuple[str, ...]) -> tuple[str, ...]:
    _photos(photo_ids)
    return photo_ids


__all__ = [
    "Campaign",
    "CampaignFile",
    "Deadlines",
    "Filing",
    "LateStep",
    "Step",
    "StepRecord",
    "SurveyRecord",
    "TownDeadlines",
    "TrialDay",
    "TrialOutcome",
    "TrialRun",
    "check_photo_ids",
]
