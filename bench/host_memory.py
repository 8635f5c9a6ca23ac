"""Memory of the county host: RSS (and PSS) of `python -m local run`'s whole process tree on DynamoDB Local with the
S3 archive (moto), api/notify/scheduled jobs off, one decode worker, a simulated fleet at one frame a minute.

More: docs/local.md, "On the AWS storage (the county host)". Run: python -m bench.host_memory [--terminals 1500]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from bench.ingest_idle_memory import raise_fd_limit
from local.demo.fleet import import_fleet
from local.demo.harness import free_port
from monitoring._time import CHINA
from monitoring.storage.opener import StoreLocation, open_store_at
from tests.conftest import FAKE_AWS_ENV
from tests.support import dynamodb_local
from tests.support.dynamodb_tables import REGION, fresh_backend
from tests.support.moto_server import moto_server

MIB = 1024 * 1024
BUDGETS_MIB = {"t4g.micro": 600, "t4g.small": 1600}  # what is left for the task: 1 GiB, 2 GiB less the OS and agent


def tree(root: int) -> list[int]:
    """`root` and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def memory(pid: int, names: dict[int, str]) -> tuple[int, int, str]:
    """(RSS bytes, PSS bytes, the process's name: the worker's in status.json, else from its command line)."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return 0, 0, ""
    name = names.get(pid) or ("platform" if " -m local run" in cmd else "other")
    return rss, pss, name


def sample(root: int, status: dict[str, Any]) -> dict[str, Any]:
    names = {int(w["pid"]): name for name, w in (status.get("workers") or {}).items() if w.get("pid")}
    procs = [(pid, *memory(pid, names)) for pid in tree(root)]
    return {
        "rss": sum(p[1] for p in procs),
        "pss": sum(p[2] for p in procs),
        "processes": len(procs),
        "each": sorted((round(p[1] / MIB, 1), p[3]) for p in procs),
    }


def fleet_manifest(data: Path, terminals: int, start: str) -> tuple[list[str], dict[str, Any]]:
    """Synthetic enterprises (all normal) enough for `terminals` terminals: the simulator's arguments and manifest."""
    enterprises = max(1, math.ceil(terminals / 3.5))
    for _ in range(3):
        args = ["--synthetic", str(enterprises), "--mix", "normal=1", "--seed", "1", "--start", start]
        path = data / "fleet.json"
        subprocess.run([sys.executable, "-m", "simulator", "manifest", *args, "--out", str(path)], check=True,
                       capture_output=True)  # fmt: skip
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        count = sum(len(e["terminals"]) for e in manifest["enterprises"])
        if abs(count - terminals) <= terminals * 0.03:
            break
        enterprises = max(1, round(enterprises * terminals / count))
    return args, manifest


def enterprise_list(manifest: dict[str, Any], data: Path) -> Path:
    """The synthetic enterprises as an enterprise list (the registry's import reads one)."""
    path = data / "enterprises.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["seq", "town", "enterprise_name", "install_category", "enforcement_branch"])
        for e in manifest["enterprises"]:
            writer.writerow([e["seq"], e["town"], e["name"], e["category"], e["branch"]])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.host_memory", description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=330.0, help="measured wall seconds after the fleet is up")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    args = parser.parse_args()
    os.environ.update(FAKE_AWS_ENV)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request lines
    raise_fd_limit(4 * args.terminals + 1000)
    ddb = dynamodb_local.start()
    work = Path(tempfile.mkdtemp(prefix="host-memory-"))
    data = work / "data"
    data.mkdir()
    try:
        with moto_server() as s3_url, fresh_backend(ddb.url, "hostmem", env_credentials=True) as backend:
            bucket = f"county-archive-{uuid.uuid4().hex[:8]}"
            s3 = boto3.client("s3", endpoint_url=s3_url, region_name=REGION)
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            start = datetime.now(CHINA).replace(tzinfo=None, microsecond=0).isoformat()
            sim_args, manifest = fleet_manifest(data, args.terminals, start)
            terminals = sum(len(e["terminals"]) for e in manifest["enterprises"])
            t0 = time.monotonic()
            where = StoreLocation(backend="dynamodb", dynamodb_region=REGION, dynamodb_endpoint=ddb.url,
                                  table_prefix=backend.table_prefix)  # fmt: skip
            store = open_store_at(where)
            try:
                imported = import_fleet(
                    store, manifest, county_id="rugao", enterprise_csv=enterprise_list(manifest, data)
                )
            finally:
                store.close()
            print(f"fleet: {terminals} terminals ({imported.terminals} registered), imported in "
                  f"{time.monotonic() - t0:.0f} s", flush=True)  # fmt: skip
            port = free_port()
            env = dict(os.environ)
            env.update(
                AWS_ENDPOINT_URL_S3=s3_url,
                LOCAL_DATA_DIR=str(data),
                LOCAL_PORT=str(port),
                LOCAL_STORE="dynamodb",
                LOCAL_DYNAMODB_ENDPOINT=ddb.url,
                LOCAL_DYNAMODB_REGION=REGION,
                LOCAL_DYNAMODB_TABLE_PREFIX=backend.table_prefix,
                LOCAL_ARCHIVE_BUCKET=bucket,
                LOCAL_API="false",
                LOCAL_NOTIFY="false",
                LOCAL_SCHEDULED_JOBS="false",
                LOCAL_DECODE_WORKERS="1",
                LOCAL_EVALUATE_EVERY_S="300",
            )
            log = open(work / "platform.log", "ab")
            platform = subprocess.Popen([sys.executable, "-m", "local", "run"], env=env, stdout=log,
                                        stderr=subprocess.STDOUT)  # fmt: skip
            sim_cmd = [sys.executable, "-m", "simulator", "run", *sim_args, "--platform", f"127.0.0.1:{port}",
                       "--no-realtime", "--no-hour", "--no-day", "--quiet"]  # fmt: skip
            time.sleep(3.0)
            sim = subprocess.Popen(sim_cmd, stdout=open(work / "simulator.log", "ab"), stderr=subprocess.STDOUT)
            try:
                measure(platform, data, terminals, args.seconds, args.every)
            finally:
                sim.send_signal(signal.SIGINT)
                sim.wait(30)
                platform.send_signal(signal.SIGTERM)
                try:  # a backlog drains for up to DRAIN_TIMEOUT_S per worker kind; then it is only in the way
                    platform.wait(120)
                except subprocess.TimeoutExpired:
                    print("the platform did not stop in 120 s (a backlog draining): killed", flush=True)
                    platform.kill()
                    platform.wait(30)
    finally:
        ddb.stop()
    print(f"logs: {work}")


def _status(data: Path) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads((data / "status.json").read_text(encoding="utf-8"))
        return doc
    except (OSError, ValueError):
        return {}


def measure(platform: subprocess.Popen[bytes], data: Path, terminals: int, seconds: float, every: float) -> None:
    deadline = time.monotonic() + 120
    while _status(data).get("connections", 0) < terminals * 0.98:
        if time.monotonic() > deadline or platform.poll() is not None:
            raise SystemExit(f"the fleet did not connect: {_status(data).get('connections')} of {terminals}")
        time.sleep(1.0)
    print(f"connected: {_status(data)['connections']}; measuring {seconds:.0f} s", flush=True)
    samples, start = [], time.monotonic()
    first = _status(data)
    next_line = start
    while time.monotonic() - start < seconds:
        samples.append(sample(platform.pid, _status(data)))
        if time.monotonic() >= next_line:  # the trend: a line a minute
            st = _status(data)
            print(f"  {time.monotonic() - start:4.0f} s: tree RSS {samples[-1]['rss'] / MIB:.0f} MiB, queue depth "
                  f"{st.get('queue', {}).get('depth')}, acked {st.get('acks')}", flush=True)  # fmt: skip
            next_line += 60
        time.sleep(every)
    last, final = _status(data), samples[-1]
    peak = max(samples, key=lambda s: s["rss"])
    minutes = (time.monotonic() - start) / 60
    archive = (last.get("workers") or {}).get("archive") or {}
    print(f"frames acked {last.get('acks', 0) - first.get('acks', 0)} in {minutes:.1f} min "
          f"({(last.get('acks', 0) - first.get('acks', 0)) / minutes:.0f}/min), decoded {last.get('decoded')}, "
          f"queue depth {last['queue']['depth']}, archived {archive.get('archived')} "
          f"in {archive.get('objects')} objects, waiting {archive.get('waiting')}")  # fmt: skip
    print(f"process tree RSS: peak {peak['rss'] / MIB:.0f} MiB, final {final['rss'] / MIB:.0f} MiB, "
          f"mean {sum(s['rss'] for s in samples) / len(samples) / MIB:.0f} MiB; "
          f"PSS peak {max(s['pss'] for s in samples) / MIB:.0f} MiB ({final['processes']} processes)")  # fmt: skip
    print("per process at the end (MiB):", ", ".join(f"{name} {rss}" for rss, name in final["each"]))
    for shape, budget in BUDGETS_MIB.items():
        fits = "fits" if peak["rss"] / MIB <= budget else "does not fit"
        print(f"{shape}: ≈ {budget} MiB for the task: {fits} ({peak['rss'] / MIB:.0f} MiB peak RSS)")


if __name__ == "__main__":
    main()
