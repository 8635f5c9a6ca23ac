"""Overdue inspections and repairs remind the provider and the branch through the outbox and the real SMS client
against its loopback stub: once per obligation per day however often the job runs, again the next day while still
overdue, never for a terminal in time, a fault within its 24 hours or another county's branch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.maintenance.checklist import checklist
from monitoring.maintenance.models import CheckResult, MaintenanceEntry, MaintenanceKind, Verdict, new_entry_id
from monitoring.maintenance.reminders import remind
from monitoring.maintenance.service import record_inspection
from monitoring.notify.channels.wiring import build_channels
from monitoring.notify.routing import SendSettings
from monitoring.notify.sender import Sender
from monitoring.notify.service import NotifyService
from monitoring.notify.templates import TemplateBook
from monitoring.storage.memory import memory_store
from tests.support.maintenance_world import build, fault_report, offline_alarm

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # 10:00 Beijing: no quiet hours for medium severity anyway


def test_reminders_go_once_per_obligation_per_day_to_the_provider_and_the_branch() -> None:
    store = memory_store()
    world = build(store, NOW)
    check = CheckResult("voltage", "三相电压", Verdict.PASS, "ok")
    for mn, ent, days in (("MN0001", "e1", 15), ("MN0002", "e2", 10)):
        at = NOW - timedelta(days=days)
        store.maintenance.put_entry(MaintenanceEntry(new_entry_id(), ent, MaintenanceKind.COMMISSIONING, at, "i", at,
                                                     mn=mn, checks=(check,), passed=True))  # fmt: skip
    offline_alarm(store, "al-late", "e1", "MN0001", NOW - timedelta(hours=24, minutes=1))
    fault_report(store, "fr-fresh", "e2", "p2", NOW - timedelta(hours=23))  # within its 24 hours: nothing yet
    notify = NotifyService(store, "rugao")
    book = TemplateBook.load()
    with ProviderStubs(book) as stubs:
        sender = Sender(store.outbox, build_channels(stubs.settings), book, SendSettings(), lambda: NOW, owner="t")
        first = remind(notify, NOW)
        for minutes in (1, 5, 60):  # the job's later ticks the same day add nothing
            assert remind(notify, NOW + timedelta(minutes=minutes)) == []
        sender.run_once()
        sent = stubs.aliyun.accepted()
        assert len(first) == len(sent) == 4  # MN0001's inspection and al-late's repair, each to provider + branch
        by_phone: dict[str, list[str]] = {}
        for r in sent:
            by_phone.setdefault(r.address, []).append(r.template)
        assert sorted(by_phone) == [world.provider.phone, world.branch.phone]
        assert world.other_installer.phone not in by_phone  # e2's installer is not e1's provider
        assert {n.event_kind for n in first} == {"inspection_overdue", "repair_overdue"}
        texts = [n.text for n in first if n.audience == "service_provider"]
        assert any("MN0001巡检已超期" in t for t in texts) and any("已超过24小时未修复" in t for t in texts)

        # done today: the inspection. The next day al-late is told again (its second day overdue); the fault
        # report's 24 hours ran out meanwhile: e2 has no provider named, so its branch alone hears of it
        record_inspection(store, mn="MN0001", by=world.provider.id, at=NOW, now=NOW,
                          checklist={k: True for k in checklist()})  # fmt: skip
        next_day = remind(notify, NOW + timedelta(days=1))
        assert sorted((n.event_id, n.audience) for n in next_day) == [
            ("maint:repair:alarm:al-late:1", "branch_staff"),
            ("maint:repair:alarm:al-late:1", "service_provider"),
            ("maint:repair:fault:fr-fresh:0", "branch_staff"),
        ]
        assert remind(notify, NOW + timedelta(days=1, minutes=30)) == []


def test_a_long_overdue_inspection_is_reminded_daily_for_a_week_then_weekly() -> None:
    store = memory_store()
    build(store, NOW)
    check = CheckResult("voltage", "三相电压", Verdict.PASS, "ok")
    at = NOW - timedelta(days=15)  # due 14 days after: overdue since NOW - 1 day
    store.maintenance.put_entry(MaintenanceEntry(new_entry_id(), "e1", MaintenanceKind.COMMISSIONING, at, "i", at,
                                                 mn="MN0001", checks=(check,), passed=True))  # fmt: skip
    notify = NotifyService(store, "rugao")
    sent_on: list[int] = []
    for day in range(0, 40):
        made = [n for n in remind(notify, NOW + timedelta(days=day)) if n.event_kind == "inspection_overdue"]
        if made:
            sent_on.append(day)
    # overdue since day -1: daily through its 7th day overdue (day 5), then every 7 days
    assert sent_on == [0, 1, 2, 3, 4, 5, 6, 13, 20, 27, 34]
