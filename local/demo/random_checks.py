"""The demo's 双随机 draws: per branch two demo inspectors (the demo branch account joins its branch's pool), a
draw of the start's month and of the month before, seeded from the branch and period (the same every run), one
check of the earlier month recorded; the others of that month show 逾期. Nothing here touches alarms."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from monitoring._time import CHINA
from monitoring.accounts.models import Account, Role
from monitoring.random_checks import service
from monitoring.random_checks.models import Conclusion, Finding, FindingItem, period_bounds
from monitoring.storage.ports import Store

PER_BRANCH = 3


def demo_seed(branch_id: str, period: str) -> str:
    return hashlib.sha256(f"demo|{branch_id}|{period}".encode()).hexdigest()[:32]


def _month(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHINA).astimezone(UTC)


def ensure_demo_random_checks(store: Store, start: datetime, county_id: str = "rugao", branch_user: str = "") -> int:
    """Make what is missing (a re-run with --keep finds it); returns the number of draws made now."""
    current = _month(start.date())
    previous = _month(period_bounds(current)[0] - timedelta(days=1))
    made = 0
    for branch in store.registry.list_branches(county_id):
        members = []
        demo = store.accounts.find_by_username(branch_user) if branch_user else None
        if demo is not None and demo.branch_id == branch.branch_id:
            members.append(demo.id)
        for n in (1, 2):
            account_id = f"demo-insp-{branch.branch_id}-{n}"[:64]
            if store.accounts.find_account(account_id) is None:
                store.accounts.put_account(Account(account_id, f"insp_{branch.branch_id}_{n}"[:32],
                                                   f"{branch.name}检查员{n}", Role.BRANCH, county_id,
                                                   branch_id=branch.branch_id))  # fmt: skip
            members.append(account_id)
        if store.random_checks.get_pool(county_id, branch.branch_id) is None:
            service.set_pool(store, county_id, branch.branch_id, members, by="demo", now=_at(start.date(), 8))
        for period in (previous, current):
            if store.random_checks.list_draws(county_id, branch_id=branch.branch_id, period=period):
                continue
            first = period_bounds(period)[0]
            if not store.registry.list_enterprises(county_id, branch_id=branch.branch_id):
                continue
            _, checks = service.make_draw(store, county_id, branch.branch_id, period, PER_BRANCH, by="demo",
                                          now=_at(first, 9), seed=demo_seed(branch.branch_id, period))  # fmt: skip
            made += 1
            if period == previous and checks:
                check = checks[0]
                service.record_inspection(
                    store, check.check_id, conclusion=Conclusion.COMPLIANT,
                    findings=[Finding(item, True) for item in FindingItem if item is not FindingItem.OTHER],
                    text="演示：现场端规范，监控运行正常，运维台账齐全。", photo_ids=[], alarm_ids=[],
                    inspected_at=_at(first + timedelta(days=14), 10), by=check.inspectors[0], by_admin=False,
                    now=_at(first + timedelta(days=14), 16),
                )  # fmt: skip
    return made
