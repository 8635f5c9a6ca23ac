"""Progress per town and per branch against the campaign's deadlines, and the overdue list.

The campaign deadlines (9-30, 10-20, 10-31) are calendar dates in the notice, so lateness is counted in calendar
days; the filing limit after acceptance is "5个工作日" (附件2.6), so its lateness is counted in working days."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from monitoring._time import china_day
from monitoring.campaign.models import Campaign, CampaignFile, Deadlines, Step
from monitoring.registry.models import Enterprise, InstallStatus
from monitoring.reports.workdays import add_workdays, calendar_warning, is_workday

DONE_AT: Mapping[Step, InstallStatus] = {
    Step.SURVEY: InstallStatus.SURVEYED,
    Step.NETWORK: InstallStatus.NETWORKED,
    Step.FILING: InstallStatus.FILED,
}
FILING_LIMIT = "filing_limit"  # the per-enterprise limit after acceptance (not a campaign deadline)
STEP_LABELS = {**{s.value: s.label for s in Step}, FILING_LIMIT: "验收后备案"}


@dataclass(slots=True)
class GroupProgress:
    """One town or branch: enterprises at each status (cumulative: 已联网 counts every one at or past it)."""

    key: str
    name: str
    total: int = 0
    exempt: int = 0
    reached: dict[InstallStatus, int] = field(default_factory=lambda: {s: 0 for s in InstallStatus})
    overdue: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Step} | {FILING_LIMIT: 0})
    deadlines: Deadlines | None = None  # a town's own deadlines; None for a branch (its towns' may differ)
    late_done: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Step})  # done after the deadline

    @property
    def required(self) -> int:
        return self.total - self.exempt


@dataclass(frozen=True, slots=True)
class OverdueItem:
    enterprise_id: str
    enterprise_name: str
    town_id: str
    branch_id: str
    step: str  # survey | network | filing | filing_limit
    due: date
    days_overdue: int
    workdays: bool  # True: counted in working days (the filing limit), else calendar days

    @property
    def step_label(self) -> str:
        return STEP_LABELS[self.step]


def workdays_between(due: date, today: date) -> int:
    """Working days after `due` up to and including `today`."""
    count, d = 0, due
    while d < today:
        d += timedelta(days=1)
        if is_workday(d):
            count += 1
    return count


def overdue_for(
    campaign: Campaign, enterprise: Enterprise, file: CampaignFile | None, today: date
) -> list[OverdueItem]:
    """The enterprise's overdue steps as of `today` (Beijing): a step is overdue the day after its deadline."""
    if enterprise.exemption is not None:
        return []
    found: list[OverdueItem] = []
    deadlines = campaign.deadlines_for(enterprise.town_id)

    def item(step: str, due: date, workdays: bool) -> OverdueItem:
        days = workdays_between(due, today) if workdays else (today - due).days
        return OverdueItem(
            enterprise.enterprise_id, enterprise.name, enterprise.town_id, enterprise.branch_id, step, due, days,
            workdays,
        )  # fmt: skip

    for step, status in DONE_AT.items():
        due = deadlines.of(step)
        if enterprise.install_status.rank < status.rank and today > due:
            found.append(item(step.value, due, False))
    acceptance = file.acceptance if file else None
    if enterprise.install_status is InstallStatus.ACCEPTED and acceptance is not None:
        due = add_workdays(china_day(acceptance.at), campaign.filing_workdays)
        if today > due:
            found.append(item(FILING_LIMIT, due, True))
    return found


def progress(
    campaign: Campaign,
    enterprises: Iterable[Enterprise],
    files: Mapping[str, CampaignFile],
    today: date,
    *,
    town_names: Mapping[str, str],
    branch_names: Mapping[str, str],
) -> tuple[list[GroupProgress], list[GroupProgress], list[OverdueItem]]:
    """(per town, per branch, overdue list sorted by most overdue first)."""
    towns: dict[str, GroupProgress] = {}
    branches: dict[str, GroupProgress] = {}
    overdue: list[OverdueItem] = []
    for e in enterprises:
        late = overdue_for(campaign, e, files.get(e.enterprise_id), today)
        overdue.extend(late)
        for groups, key, names in ((towns, e.town_id, town_names), (branches, e.branch_id, branch_names)):
            g = groups.get(key)
            if g is None:
                g = groups[key] = GroupProgress(key, names.get(key, key))
                if groups is towns:
                    g.deadlines = campaign.deadlines_for(key)
            g.total += 1
            if e.exemption is not None:
                g.exempt += 1
                continue
            for status in InstallStatus:
                if e.install_status.rank >= status.rank:
                    g.reached[status] += 1
            for o in late:
                g.overdue[o.step] += 1
            done_late = files.get(e.enterprise_id)
            for s in done_late.late_steps if done_late else ():
                g.late_done[s.step.value] += 1
    overdue.sort(key=lambda o: (-o.days_overdue, o.due, o.enterprise_id, o.step))
    by_key = lambda g: g.key  # noqa: E731
    return sorted(towns.values(), key=by_key), sorted(branches.values(), key=by_key), overdue


def file_calendar_warning(
    campaign: Campaign, status: InstallStatus, file: CampaignFile | None, today: date
) -> str | None:
    """The working-day warning for a file's answers (trial days, filing due, filing overdue), None if every year
    they count over has an official table."""
    if file is None:
        return None
    days: list[date] = []
    trial = file.trial
    if trial is not None:
        days += [china_day(trial.started_at), trial.ended_on or today]
    if file.acceptance is not None:
        accepted = china_day(file.acceptance.at)
        days += [accepted, add_workdays(accepted, campaign.filing_workdays)]
        if status is InstallStatus.ACCEPTED:
            days.append(today)
    return calendar_warning(days)


def late_text(file: CampaignFile | None) -> str:
    """Steps done after their deadline, in words (Chinese): `勘察 逾期3天（截止 2022-09-30）；…`."""
    if file is None:
        return ""
    return "；".join(f"{s.step.label} 逾期{s.days}天（截止 {s.due.isoformat()}）" for s in file.late_steps)
