"""The API framework's own cost under concurrency: N clients on keep-alive connections against the local server on
sqlite, calling GET /me and GET /accounts (token check, account re-read, policy, serialisation); prints percentiles.

More: docs/api.md, "Figures". Route benchmarks (alarms, series, dashboard) belong to `make bench-api`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher

from local.api_server import ApiHttpServer
from miniprogram_api.app import app
from miniprogram_api.chalicelib import wiring
from miniprogram_api.chalicelib.settings import ApiSettings
from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.storage.sqlite import open_store

PASSWORD = "Bench-Passw0rd"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # sign-in is not what is measured


def _client(port: int, token: str, paths: list[str], until: float, out: list[float], errors: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while time.monotonic() < until:
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        out.append(time.perf_counter() - started)
        if response.status != 200:
            errors.append(response.status)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--accounts", type=int, default=200, help="accounts in the county (GET /accounts pages them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = open_store(str(db))
        now = datetime.now(UTC)
        for n in range(args.accounts):
            create_account(
                store.accounts, now, username=f"user{n:04d}", display_name="压测", role=Role.VIEWER,
                county_id="rugao", hasher=CHEAP,
            )  # fmt: skip
        create_account(
            store.accounts, now, username="bench_admin", display_name="压测管理员", role=Role.ADMIN,
            county_id="rugao", password=PASSWORD, hasher=CHEAP,
        )  # fmt: skip
        settings = ApiSettings(store_backend="sqlite", sqlite_path=str(db), token_key=os.urandom(32).hex())
        wiring.configure(settings, store=store, hasher=CHEAP)
        server = ApiHttpServer(app, "127.0.0.1", 0)
        server.start()
        port = server.server_address[1]
        conn = http.client.HTTPConnection("127.0.0.1", port)
        body = json.dumps({"login": "bench_admin", "password": PASSWORD})
        conn.request("POST", "/api/v1/auth/login", body=body, headers={"Content-Type": "application/json"})
        token = json.loads(conn.getresponse().read())["access_token"]
        conn.close()
        paths = ["/api/v1/me", "/api/v1/accounts?limit=50"]
        latencies: list[list[float]] = [[] for _ in range(args.clients)]
        errors: list[int] = []
        cpu0, wall0 = time.process_time(), time.monotonic()
        until = wall0 + args.seconds
        threads = [
            threading.Thread(target=_client, args=(port, token, paths, until, latencies[i], errors))
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        server.stop()
        store.close()
    every = sorted(x for xs in latencies for x in xs)
    q = statistics.quantiles(every, n=100)
    print(
        f"{args.clients} clients, {wall:.1f} s: {len(every)} requests ({len(every) / wall:.0f}/s), "
        f"errors {len(errors)}; "
        f"p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms; "
        f"CPU {cpu / len(every) * 1e6:.0f} µs per request (server and clients, one process); "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
