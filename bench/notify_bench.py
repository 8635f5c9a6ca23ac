"""make bench-notify: alarm raised → message accepted by a provider stub (p50/p95) over a bounded demo-like run,
and messages per alarm and per enterprise: a 301-enterprise county on sqlite, local.provider_stubs with the real
clients, the notify worker's handlers every 2 s, alarms at random times (some in bursts), a share of Aliyun calls
throttled (failover). Details: docs/notify.md, "Figures"."""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # the handlers' metrics would flood stdout
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from functions import _notify, _wiring  # noqa: E402
from functions.notify_send import handler as send_handler  # noqa: E402
from functions.on_alarm_change_notify import handler as decide_handler  # noqa: E402
from local.provider_stubs.base import Received  # noqa: E402
from local.provider_stubs.fleet import ProviderStubs  # noqa: E402
from monitoring.accounts.models import Account, Role  # noqa: E402
from monitoring.alarms.models import Alarm, AlarmState, Episode  # noqa: E402
from monitoring.clock import SystemClock  # noqa: E402
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, Level, LevelMeasures  # noqa: E402
from monitoring.evaluation.catalogue import RULES  # noqa: E402
from monitoring.notify.channels.wiring import build_channels  # noqa: E402
from monitoring.notify.models import Notification, Status  # noqa: E402
from monitoring.registry.models import Branch, Contact, ContactRole, County, Enterprise, EnterpriseCategory, Town  # noqa: E402
from monitoring.storage.ports import Store  # noqa: E402

COUNTY = "rugao"
PASS_S = 2.0  # the local notify worker's default notify_every_s


class Ctx:
    function_name = "bench-notify"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def seed(store: Store, enterprises: int, rng: random.Random) -> list[str]:
    reg = store.registry
    reg.put_county(County(COUNTY, "如皋市"))
    towns = [f"T{i:02d}" for i in range(14)]
    branches = [f"B{i}" for i in range(6)]
    for t in towns:
        reg.put_town(Town(t, COUNTY, f"{t}镇"))
    for b in branches:
        reg.put_branch(Branch(b, COUNTY, f"执法{b}局"))
    ids = []
    phone = 13_100_000_000
    for i in range(enterprises):
        eid = f"E{i:03d}"
        contacts = []
        for role in (ContactRole.ENVIRONMENT_MANAGER, ContactRole.ELECTRICIAN):
            phone += 1
            openid = f"o-{eid}-{role.value}" if rng.random() < 0.4 else None
            contacts.append(Contact(f"{eid}联系人", role, phone=str(phone), wechat_openid=openid))
        reg.put_enterprise(
            Enterprise(
                eid,
                COUNTY,
                f"如皋某企业{i:03d}",
                towns[i % len(towns)],
                branches[i % len(branches)],
                EnterpriseCategory.AIR_CONTROL,
                contacts=tuple(contacts),
            )
        )
        ids.append(eid)
    accounts: list[Account] = []
    for n, b in enumerate(branches):
        for k in range(2):
            accounts.append(_account(f"br{n}{k}", Role.BRANCH, 13_900_000_000 + n * 10 + k, branch_id=b))
    for n, t in enumerate(towns):
        accounts.append(_account(f"town{n}", Role.TOWN, 13_800_000_000 + n, town_id=t))
    for k in range(2):
        accounts.append(_account(f"em{k}", Role.EMERGENCY, 13_700_000_000 + k))
    for k in range(5):
        mine = tuple(e for j, e in enumerate(ids) if j % 5 == k)
        accounts.append(_account(f"inst{k}", Role.INSTALLER, 13_600_000_000 + k, enterprise_ids=mine))
    for a in accounts:
        store.accounts.put_account(a)
    return ids


def _account(aid: str, role: Role, phone: int, **scope: Any) -> Account:
    return Account(aid, f"user_{aid}", f"用户{aid}", role, COUNTY, phone=str(phone), **scope)


def raise_alarms(store: Store, ids: list[str], count: int, seconds: float, rng: random.Random) -> dict[str, Alarm]:
    """Raise `count` alarms at random times within `seconds` (a fifth as bursts of 2-3 on one enterprise)."""
    rules = sorted(RULES)
    plan = sorted(rng.uniform(0, seconds) for _ in range(count))
    start = time.monotonic()
    raised: dict[str, Alarm] = {}
    i = 0
    while i < len(plan):
        time.sleep(max(0.0, plan[i] - (time.monotonic() - start)))
        enterprise = rng.choice(ids)
        burst = rng.choice((2, 3)) if rng.random() < 0.2 else 1
        for _ in range(min(burst, len(plan) - i)):
            now = datetime.now(UTC)
            rule = rng.choice(rules)
            alarm = Alarm(
                id=f"A{i:04d}",
                rule=rule,
                subject=f"point:{enterprise}-{i}",
                enterprise_id=enterprise,
                severity=RULES[rule].severity.value,
                state=AlarmState.PENDING,
                episodes=(Episode(now - timedelta(minutes=10), None, {}, {}),),
                created_at=now,
                updated_at=now,
            )
            raised[alarm.id] = store.alarms.put(alarm, expected_version=None)
            i += 1
    return raised


def emergency_fan_out(
    store: Store, ids: list[str], wait_s: float, accepted: list[Received], lock: threading.Lock
) -> str:
    """Publish an orange alert over the whole county (each enterprise with its own measures) while the worker runs;
    time from publishing to each of its messages accepted by a provider stub (goal: all within a minute)."""
    for i, eid in enumerate(ids):
        lines = tuple(f"P{k}" for k in range(1 + i % 3))
        hours = ((0, 6), (20, 24)) if i % 2 else ((8, 20),)
        store.emergency.put_measures(
            EnterpriseMeasures(eid, {Level.ORANGE: LevelMeasures(lines, 0.5 if i % 4 else None, hours)})
        )
    with lock:
        before = len(accepted)
    published = datetime.now(UTC)
    store.emergency.put_alert(
        EmergencyAlert("EM-BENCH", Level.ORANGE, published, published + timedelta(days=2), county_id=COUNTY)
    )
    deadline = time.monotonic() + wait_s

    def mine() -> list[Notification]:
        found, cursor, out = None, None, []
        while found is None or cursor is not None:
            found, cursor = store.outbox.recent(
                published - timedelta(seconds=1), datetime.now(UTC), before=cursor, limit=500,
                accept=lambda n: n.event_kind == "emergency_published",
            )  # fmt: skip
            out += found
        return out

    entries: list[Notification] = []
    while time.monotonic() < deadline:
        entries = mine()
        if entries and all(n.status not in (Status.QUEUED, Status.SENDING) for n in entries):
            break
        time.sleep(0.5)
    sent = {(n.provider, n.provider_id) for n in entries if n.provider_id}
    with lock:
        mine_accepted = [r for r in accepted[before:] if (r.provider, r.provider_id) in sent]
    waits = [r.at - published.timestamp() for r in mine_accepted]
    states = Counter(n.status.value for n in entries)
    if not waits:
        return f"  emergency fan-out: nothing accepted within {wait_s:.0f} s; outbox {dict(states)}"
    return (
        f"  emergency fan-out to {len(ids)} enterprises: {len(entries)} entries ({dict(states)}), "
        f"{len(mine_accepted)} accepted; published → accepted p50 {percentile(waits, 50):.1f} s, "
        f"p95 {percentile(waits, 95):.1f} s, last {max(waits):.1f} s (goal: all within 60 s)"
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--enterprises", type=int, default=301)
    parser.add_argument("--alarms", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0, help="the alarms are raised over this long (wall)")
    parser.add_argument("--drain", type=float, default=70.0, help="then at most this long for what is still due")
    parser.add_argument("--faults", type=float, default=0.05, help="share of Aliyun calls answered with throttling")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--emergency", type=float, default=60.0, help="then publish an alert to every enterprise; wait at most this"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    logging.getLogger("monitoring.notify").setLevel(logging.ERROR)  # the injected throttling would flood stderr
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp, ProviderStubs(aliyun_limits=(1, 5, 40)) as stubs:
        accepted: list[Received] = []
        lock = threading.Lock()

        def on_accept(r: Received) -> None:
            with lock:
                accepted.append(r)
            if r.provider == "aliyun_sms" and rng.random() < args.faults:
                stubs.aliyun.fail_next("throttle")  # the next Aliyun call is throttled: failover to Tencent

        stubs.listen(on_accept)
        settings = _wiring.Settings(
            store_backend="sqlite", sqlite_path=str(Path(tmp) / "gongkuang.db"), county_id=COUNTY
        )
        _wiring.configure(settings, clock=SystemClock())
        _notify.reset()
        _notify.use_channels(build_channels(stubs.settings))
        store = _wiring.get_store()
        ids = seed(store, args.enterprises, rng)
        stop = threading.Event()
        passes = {"n": 0, "slowest": 0.0}

        def worker() -> None:
            while not stop.wait(PASS_S):
                began = time.monotonic()
                decide_handler({}, Ctx())
                send_handler({"budget_s": 5}, Ctx())
                passes["n"] += 1
                passes["slowest"] = max(passes["slowest"], time.monotonic() - began)

        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        began = time.monotonic()
        raised = raise_alarms(store, ids, args.alarms, args.seconds, rng)
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:  # until nothing is left to send (held SMS included)
            if not store.outbox.due(datetime.now(UTC) + timedelta(hours=2), limit=1):
                break
            time.sleep(0.5)
        wall = time.monotonic() - began
        fan_out = emergency_fan_out(store, ids, args.emergency, accepted, lock) if args.emergency > 0 else None
        stop.set()
        thread.join(30)

        by_provider_id = {(r.provider, r.provider_id): r for r in accepted}
        first_told: dict[str, float] = {}
        per_alarm = Counter[str]()
        per_enterprise = Counter[str]()
        statuses = Counter[str]()
        providers = Counter[str]()
        for alarm in raised.values():
            for n in store.outbox.for_alarm(alarm.id):
                statuses[n.status.value] += 1
                r = by_provider_id.get((n.provider, n.provider_id))
                if r is None:
                    continue
                latency = r.at - alarm.created_at.timestamp()
                first_told[alarm.id] = min(first_told.get(alarm.id, latency), latency)
                if not n.merged_into:
                    per_alarm[alarm.id] += 1
                    per_enterprise[alarm.enterprise_id] += 1
                    providers[n.provider] += 1
        latencies = list(first_told.values())
        untold = len(raised) - len(latencies)  # counted as slower than any: the p95 over all alarms stays honest
        everyone = latencies + [float("inf")] * untold
        messages = sum(per_alarm.values())
        print(
            f"bench-notify: {len(raised)} alarms over {args.seconds:.0f} s, {args.enterprises} enterprises, "
            f"worker pass every {PASS_S:.0f} s ({passes['n']} passes, slowest {passes['slowest']:.2f} s), "
            f"run {wall:.0f} s"
        )
        if latencies:
            print(
                f"  alarm raised → first message accepted by a provider stub: p50 {percentile(everyone, 50):.1f} s, "
                f"p95 {percentile(everyone, 95):.1f} s, max of those told {max(latencies):.1f} s "
                f"({len(latencies)}/{len(raised)} alarms told by the end; goal p95 ≤ 60 s)"
            )
        print(
            f"  messages accepted by providers (merged ones counted once): {messages} "
            f"= {messages / max(1, len(raised)):.2f} per alarm; by provider {dict(providers)}"
        )
        told = [per_enterprise[e] for e in ids]
        print(
            f"  per enterprise over the run (≈ one day's alarms): mean {statistics.mean(told):.2f}, "
            f"max {max(told)}, enterprises told {sum(1 for t in told if t)}"
        )
        left = len(store.outbox.due(datetime.now(UTC) + timedelta(hours=2), limit=10_000))
        print(f"  outbox outcomes: {dict(statuses)}; still waiting (per-number limits, back-off): {left}")
        print(f"  Aliyun stub calls {stubs.aliyun.calls}, Tencent stub calls {stubs.tencent.calls}")
        if fan_out is not None:
            print(fan_out)
        _notify.use_channels(None)
        store.close()
        _wiring.configure(None)


if __name__ == "__main__":
    main()
