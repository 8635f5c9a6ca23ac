"""`make bench-api`: 20 keep-alive clients against `python -m local run` on the seeded month (bench/api_seed.py);
p50/p95/p99/max and requests/s of the alarm list, alarm detail, a point's 24 h series, the dashboard summary,
enterprise detail and daily energy. Exits non-zero on errors only, never on speed. Design: docs/api.md "Speed".
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from bench.api_seed import ANCHOR, STAMP, SeedParams, month_enterprises, seed, stamp_matches
from local.clock import CLOCK_FILE
from local.workers import DB_FILE, EVALUATE_JOB
from monitoring.storage.sqlite import open_store

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("admin", "air", "branch", "town", "enterprise", "viewer")  # the clients' accounts (demo_<role>)
GOAL_MS = 200.0


@dataclass(frozen=True)
class Call:
    endpoint: str
    path: str
    role: str


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def plan(data: Path, params: SeedParams, per_endpoint: int, rng: random.Random) -> list[Call]:
    """A fixed number of calls per endpoint over objects spread through the month (read from the seeded store)."""
    store = open_store(data / DB_FILE)
    try:
        month = [e.enterprise_id for e in month_enterprises(store, params.month_enterprises)]
        everyone = [e.enterprise_id for e in store.registry.list_enterprises("rugao")]
        points = [p.point_id for e in everyone for p in store.registry.list_points(e)]
        detail_alarms = [
            a.id
            for e in month
            for a in store.alarms.list(enterprise_id=e)  # the month enterprises: a month of series behind them
        ]
    finally:
        store.close()
    county = ("admin", "air", "viewer")
    alarm_filters = [
        {},
        {"state": "pending"},
        {"overdue": "any"},
        {"state": "closed", "limit": "50"},
        {"rule": "control_stopped"},
        {"created_from": _iso(ANCHOR - timedelta(days=7))},
    ]
    calls: list[Call] = []
    for i in range(per_endpoint):
        query = urlencode(alarm_filters[i % len(alarm_filters)])
        calls.append(Call("alarm list", f"/alarms?{query}" if query else "/alarms", ROLES[i % 4]))
        calls.append(Call("alarm detail + series", f"/alarms/{rng.choice(detail_alarms)}", rng.choice(county)))
        # a dashboard refreshing: a 24 h window ending at the minute the seed ends, sliding back over the day
        end = ANCHOR - timedelta(minutes=rng.randrange(0, 60))
        window = urlencode({"start": _iso(end - timedelta(hours=24)), "end": _iso(end)})
        calls.append(Call("point 24 h series", f"/points/{quote(rng.choice(points))}/series?{window}", "viewer"))
        calls.append(Call("dashboard summary", "/dashboard/summary", ROLES[i % len(ROLES)]))
        calls.append(Call("enterprise detail", f"/enterprises/{rng.choice(everyone)}", rng.choice(county)))
        calls.append(Call("daily energy 30 d", f"/enterprises/{rng.choice(everyone)}/energy/daily?days=30", "air"))
    return calls


class Platform:
    """`python -m local run` on a copy of the seeded directory, its clock set to the end of the seeded month."""

    def __init__(self, seeded: Path, run: Path) -> None:
        if run.exists():
            shutil.rmtree(run)
        shutil.copytree(seeded, run)
        # The platform's "now" starts where the seeded readings end and runs with the wall clock.
        self.wall_anchor = time.time()
        clock = {"sim_start": ANCHOR.isoformat(), "wall_anchor": self.wall_anchor, "accel": 1.0}
        (run / CLOCK_FILE).write_text(json.dumps(clock), encoding="utf-8")
        self.log = run / "platform.log"
        cmd = [sys.executable, "-m", "local", "run", "--data-dir", str(run), "--port", "0", "--api-port", "0"]
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
        deadline, status = time.monotonic() + 120, run / "status.json"
        while True:
            try:
                self.url = str(json.loads(status.read_text(encoding="utf-8"))["api_url"])
                break
            except (OSError, ValueError, KeyError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise SystemExit(f"the platform did not start; see {self.log}") from None
                time.sleep(0.2)
        self.status = status

    def rule_job(self) -> dict[str, Any]:
        """The rule engine's per-minute job so far, from status.json."""
        try:
            job: dict[str, Any] = json.loads(self.status.read_text(encoding="utf-8"))["jobs"][EVALUATE_JOB]
        except (OSError, ValueError, KeyError):
            return {"runs": 0, "last_seconds": 0.0}
        return job

    def settle(self, timeout: float = 180.0) -> float:
        """Wait out the first rule tick (cold: it loads a day of samples of every point), then until 10 s before
        the next minute boundary, so that a steady per-minute tick falls into the measurement. Its seconds."""
        deadline = time.monotonic() + timeout
        while self.rule_job()["runs"] < 1:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"no rule tick within {timeout:.0f} s; see {self.log}")
            time.sleep(0.5)
        first = float(self.rule_job()["last_seconds"])
        second = (time.time() - self.wall_anchor) % 60  # platform time = ANCHOR (a whole minute) + wall elapsed
        time.sleep((50 - second) % 60)
        return first

    def cpu_seconds(self) -> float:
        """CPU time of the platform's main process (listener, scheduler and the API; workers are apart)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Client:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.prefix = parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "X-Client-Channel": "web"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, self.prefix + path, body=data, headers=headers)
            reply = self.conn.getresponse()
        except (http.client.HTTPException, OSError):  # a dropped keep-alive connection: once more, anew
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.conn.request(method, self.prefix + path, body=data, headers=headers)
            reply = self.conn.getresponse()
        return reply.status, reply.read()


def sign_in(url: str) -> dict[str, str]:
    client, tokens = Client(url), {}
    for role in ROLES:
        status, body = client.request(
            "POST", "/auth/login", body={"login": f"demo_{role}", "password": f"Demo-{role}-2026"}
        )
        if status != 200:
            raise SystemExit(f"sign-in of demo_{role} failed: {status} {body[:200]!r}")
        tokens[role] = json.loads(body)["access_token"]
    return tokens


def run_clients(
    clients: list[Client], tokens: dict[str, str], calls: list[Call]
) -> tuple[dict[str, list[float]], list[str], float]:
    """Every client takes the next call off the shared list until it is empty; latency per endpoint (ms)."""
    took: dict[str, list[float]] = {}
    errors: list[str] = []
    lock, queue = threading.Lock(), list(reversed(calls))

    def work(client: Client) -> None:
        while True:
            with lock:
                if not queue:
                    return
                call = queue.pop()
            started = time.perf_counter()
            try:
                status, body = client.request("GET", call.path, tokens[call.role])
            except (http.client.HTTPException, OSError) as exc:
                status, body = 0, repr(exc).encode()
            ms = (time.perf_counter() - started) * 1000
            with lock:
                took.setdefault(call.endpoint, []).append(ms)
                if status != 200:
                    errors.append(f"{call.endpoint} {call.path} as {call.role}: {status} {body[:200]!r}")

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return took, errors, time.monotonic() - started


def _pct(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def report(took: dict[str, list[float]], alone: dict[str, list[float]], wall: float) -> None:
    head = f"{'endpoint':<24}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>8}"
    print(f"{head}{'alone p50':>11}  goal p95 ≤ 200 ms")
    for endpoint, ms in sorted(took.items()):
        ms.sort()
        p95 = _pct(ms, 0.95)
        mark = "met" if p95 <= GOAL_MS else "NOT met"
        single = sorted(alone.get(endpoint, [math.nan]))
        print(
            f"{endpoint:<24}{len(ms):>6}{_pct(ms, 0.5):>9.1f}{p95:>9.1f}{_pct(ms, 0.99):>9.1f}{ms[-1]:>9.1f}"
            f"{len(ms) / wall:>8.1f}{_pct(single, 0.5):>11.1f}  {mark}"
        )
    total = sum(len(ms) for ms in took.values())
    print(f"all: {total} requests in {wall:.1f} s ({total / wall:.0f}/s, the endpoints mixed); alone p50: one client")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(ROOT / "var" / "bench-api"), help="seeded data (cached) and the run copy")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=1000, help="measured requests per endpoint")
    ap.add_argument("--warmup", type=int, default=20, help="unmeasured requests per endpoint first")
    ap.add_argument("--alone", type=int, default=30, help="requests per endpoint from one client (no queueing)")
    ap.add_argument("--days", type=int, default=SeedParams.days, help="days of readings, aggregates and alarms")
    ap.add_argument("--month-enterprises", type=int, default=SeedParams.month_enterprises)
    ap.add_argument("--reseed", action="store_true", help="rebuild the seeded data even if its stamp matches")
    args = ap.parse_args(argv)
    params = SeedParams(days=args.days, month_enterprises=args.month_enterprises)
    base = Path(args.data_dir)
    seeded = base / "seed"
    if args.reseed or not stamp_matches(seeded, params):
        print(f"seeding {seeded} (once; later runs reuse it) ...", flush=True)
        seed(seeded, params, log=lambda line: print("  " + line, flush=True))
    doc = json.loads((seeded / STAMP).read_text(encoding="utf-8"))
    print(
        f"data: {doc['enterprises']} enterprises, {doc['points']} points; {doc['readings']:,} minute readings "
        f"(every {params.interval_min} min: {params.days} days for {len(doc['month_enterprises'])} enterprises' "
        f"points, the last 24 h for all), {doc['aggregates']:,} hourly/daily aggregates, {doc['alarms']:,} alarms; "
        f"{doc['bytes'] / 1e9:.2f} GB, reading body {doc['reading_body_bytes']} B; seeded in "
        f"{sum(doc['seconds'].values()):.0f} s"
    )
    rng = random.Random(7)
    calls = plan(seeded, params, args.requests, rng)
    warm = plan(seeded, params, args.warmup, random.Random(8))
    solo = plan(seeded, params, args.alone, random.Random(9))
    rng.shuffle(calls)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)", flush=True)
    platform = Platform(seeded, base / "run")
    try:
        tokens = sign_in(platform.url)
        clients = [Client(platform.url) for _ in range(args.clients)]  # kept alive from warm-up to the end
        _, warm_errors, _ = run_clients(clients, tokens, warm)
        alone, alone_errors, _ = run_clients(clients[:1], tokens, solo)  # one client: the cost without queueing
        cold = platform.settle()
        ticks0, cpu0 = platform.rule_job()["runs"], platform.cpu_seconds()
        took, errors, wall = run_clients(clients, tokens, calls)
        cpu = platform.cpu_seconds() - cpu0
        time.sleep(2.5)  # status.json is rewritten every 2 s
        job = platform.rule_job()
        ticks = (
            f"rule ticks during the measurement: {job['runs'] - ticks0} (the last took {job['last_seconds']:.1f} s;"
            f" the first after start, with cold caches, {cold:.1f} s, was waited out)"
        )
    finally:
        platform.stop()
    print(f"{args.clients} clients, keep-alive, {args.requests} requests per endpoint after {args.warmup} warm-up each")
    report(took, alone, wall)
    total = sum(len(ms) for ms in took.values())
    print(f"platform process CPU during the measurement: {cpu * 1000 / total:.1f} ms per request")
    print(ticks)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    errors = warm_errors + alone_errors + errors
    for line in errors[:10]:
        print("error:", line)
    if errors:
        print(f"{len(errors)} requests failed")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
