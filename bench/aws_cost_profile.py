"""Where decode's and rules' CPU goes as `bench/aws_cost.py` runs them: DynamoDB requests against the rest.

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support when run as a script

import botocore.client  # noqa: E402

from bench import aws_cost  # noqa: E402
from infra.settings import StageSettings  # noqa: E402
from tests.support import dynamodb_local  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# pstats' raw table: (file, line, name) → (primitive calls, calls, own time, cumulative time, callers)
Func = tuple[str, int, str]
Table = Mapping[Func, tuple[int, int, float, float, Mapping[Func, tuple[int, int, float, float]]]]


def outside(table: Table, is_request: Callable[[Func], bool]) -> dict[Func, float]:
    """Per function, its cumulative time minus the part spent in requests (`is_request` names the entry points).

    A function's request time is its callees' request time, each callee's share taken in proportion to the
    cumulative time of the call edge (cProfile keeps no call paths); recursion counts once."""
    callees: dict[Func, list[tuple[Func, float]]] = {}
    for func, (*_, callers) in table.items():
        for caller, edge in callers.items():
            callees.setdefault(caller, []).append((func, edge[3]))
    memo: dict[Func, float] = {}

    def requests(func: Func, active: frozenset[Func]) -> float:
        cumulative = table[func][3]
        if is_request(func):
            return cumulative
        if func in memo:
            return memo[func]
        spent = 0.0
        on_path = active | {func}
        for callee, edge_time in callees.get(func, []):
            total = table[callee][3]
            if callee not in on_path and total > 0:
                spent += requests(callee, on_path) * min(1.0, edge_time / total)
        memo[func] = min(spent, cumulative)
        return memo[func]

    return {func: row[3] - requests(func, frozenset()) for func, row in table.items()}


def _is_botocore_call(func: Func) -> bool:
    return func[0].endswith(os.path.join("botocore", "client.py")) and func[2] == "_make_api_call"


def _ours(func: Func) -> bool:
    path = func[0]
    return path.startswith(str(ROOT)) and f"{os.sep}site-packages{os.sep}" not in path


class _Split:
    """CPU (all threads) of the metered minutes by path, and the part of it inside botocore's API calls."""

    def __init__(self, minutes: int, measure: int) -> None:
        self.metered_from = minutes - measure
        self.ticks = 0
        self.phase: str | None = None
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.in_requests: defaultdict[str, float] = defaultdict(float)
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.profiles = {"decode": cProfile.Profile(time.process_time), "rules": cProfile.Profile(time.process_time)}

    def wrap_path(self, name: str, work: Callable[..., Any], profile: bool) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            metered = self.ticks >= self.metered_from
            self.phase = name if metered else None
            began = time.process_time()
            if profile and metered:
                self.profiles[name].enable()
            try:
                return work(*args, **kwargs)
            finally:
                if profile and metered:
                    self.profiles[name].disable()
                if metered:
                    self.cpu[name] += time.process_time() - began
                self.phase = None
                if name == "rules":
                    self.ticks += 1

        return run

    def wrap_call(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def api_call(client: Any, operation: str, params: Any) -> Any:
            phase, began = self.phase, time.thread_time()  # the decode write pool's threads count as decode
            try:
                return call(client, operation, params)
            finally:
                if phase is not None:
                    with self._lock:
                        self.in_requests[phase] += time.thread_time() - began
                        self.requests[phase] += 1

        return api_call


def _print_profile(name: str, profile: cProfile.Profile, out: Path, top: int) -> None:
    path = out / f"{name}.prof"
    profile.dump_stats(path)
    stats = pstats.Stats(str(path))
    table: Table = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    print(f"\n{name}: {path} (cProfile on process time; its overhead inflates small Python calls)")
    print(f"  top {top} by own time:")
    for func, row in sorted(table.items(), key=lambda kv: -kv[1][2])[:top]:
        print(f"    {row[2]:8.3f} s {row[1]:9d}  {_label(func)}")
    print(f"  top {top} of this repository by cumulative time outside DynamoDB requests:")
    rest = outside(table, _is_botocore_call)
    for func in sorted((f for f in rest if _ours(f)), key=lambda f: -rest[f])[:top]:
        print(f"    {rest[func]:8.3f} s {table[func][1]:9d}  {_label(func)}")


def _label(func: Func) -> str:
    path = func[0]
    for marker in (f"site-packages{os.sep}", f"{ROOT}{os.sep}"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{func[1]}({func[2]})"


def _stage(name: str) -> Any:
    return StageSettings.model_fields[name].default  # the deployed stage's default, as bench/aws_cost.py takes it


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=3)
    parser.add_argument("--minutes", type=int, default=90)
    parser.add_argument("--measure", type=int, default=30, help="the last N minutes are counted")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--window", type=float, default=float(_stage("decode_batching_window")))
    parser.add_argument("--rule-shard-enterprises", type=int, default=int(_stage("rules_shard_enterprises")))
    parser.add_argument("--rule-containers", type=int, default=4)
    parser.add_argument("--rule-snapshots", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="also cProfile both paths; write <dir>/decode.prof, rules.prof")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if not (1 <= args.enterprises <= 30 and 2 <= args.minutes <= 300 and 1 <= args.measure < args.minutes):
        parser.error("bounds: enterprises 1..30, minutes 2..300, 1 <= measure < minutes")
    if not 1 <= args.top <= 200:
        parser.error("bounds: top 1..200")
    for name, value in aws_cost.FAKE_AWS.items():
        os.environ.setdefault(name, value)
    split = _Split(args.minutes, args.measure)
    profile = args.profile is not None
    # what aws_cost.measure calls, by path: decode per batch, the rule containers once per minute's tick
    paths: dict[Any, tuple[str, str]] = {
        aws_cost: ("decode_isolating", "decode"),
        aws_cost.RuleContainers: ("tick", "rules"),
    }
    originals = {owner: getattr(owner, name) for owner, (name, _) in paths.items()}
    api_call = botocore.client.BaseClient._make_api_call
    for owner, (name, path) in paths.items():
        setattr(owner, name, split.wrap_path(path, originals[owner], profile))
    botocore.client.BaseClient._make_api_call = split.wrap_call(api_call)
    local = dynamodb_local.start()
    try:
        measured = aws_cost.measure(args, local.url)
    finally:
        local.stop()
        for owner, work in originals.items():
            setattr(owner, paths[owner][0], work)
        botocore.client.BaseClient._make_api_call = api_call
    tm = measured.terminals * args.measure
    print(f"{measured.terminals} terminals, {args.measure} metered minutes ({'profiled' if profile else 'unprofiled'})")
    print("  path     CPU ms/terminal-min   in DynamoDB requests   requests/terminal-min   CPU µs/request   rest ms")
    for name in ("decode", "rules"):
        cpu, inside, n = split.cpu[name], split.in_requests[name], split.requests[name]
        print(
            f"  {name:8s} {cpu / tm * 1e3:19.2f} {inside / tm * 1e3:22.2f} {n / tm:23.2f}"
            f" {inside / max(n, 1) * 1e6:16.0f} {(cpu - inside) / tm * 1e3:9.2f}"
        )
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        for name, prof in split.profiles.items():
            _print_profile(name, prof, args.profile, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
