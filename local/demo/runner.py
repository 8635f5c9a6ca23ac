"""`make demo`: the platform and the simulated Rugao fleet on this machine, with a live console summary.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.demo.accounts import DemoAccount, demo_username, ensure_demo_accounts
from local.demo.maintenance import seed_maintenance
from local.demo.people import People
from local.demo.people_plan import PeoplePlan, plan_people
from local.demo.random_checks import ensure_demo_random_checks
from local.provider_stubs.fleet import ProviderStubs
from local.provider_stubs.records import record_to, tally, write_settings
from local.wechat_stub import WeChatStub
from local.workers import DB_FILE, EVALUATE_JOB
from monitoring._time import CHINA as CHINA_TZ
from monitoring.accounts.models import ROLE_NAMES, Role
from monitoring.evaluation.catalogue import RULES

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / "data" / "registry" / "rugao_2022_enterprises.csv"
WEB_DIST = ROOT / "web" / "dist"  # the dashboard `make demo` builds first (docs/web.md)
CHINA = "+08:00"
DEMO_WECHAT_APPID, DEMO_WECHAT_SECRET = "wx-demo-appid", "demo-app-secret"  # the loopback stub's, nobody else's
EMERGENCY_LOGIN = demo_username(Role.EMERGENCY)  # publishes and ends the demo's emergency alert


def wechat_env(stub: WeChatStub) -> dict[str, str]:
    """The platform's API talks to the demo's jscode2session stub."""
    return {
        "API_WECHAT_BASE_URL": stub.base_url,
        "API_WECHAT_APPID": DEMO_WECHAT_APPID,
        "API_WECHAT_SECRET": DEMO_WECHAT_SECRET,
    }


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default="var/demo", help="data directory (wiped at start unless --keep)")
    p.add_argument("--keep", action="store_true", help="do not wipe the data directory (re-import is idempotent)")
    p.add_argument("--port", type=int, default=9000, help="listener port on 127.0.0.1")
    p.add_argument("--api-port", type=int, default=8000, help="HTTP API port on 127.0.0.1 (/api/v1)")
    p.add_argument("--accel", type=float, default=10.0, help="time acceleration of fleet and platform (default 10)")
    p.add_argument(
        "--start",
        default="2026-11-30T08:00:00",
        help="simulated start, China local time: HH:MM on Monday 2026-11-30 (11:30 crosses the lunch break, 16:30"
        " the end of the day shift) or an ISO time without offset; scenario windows are minutes after it",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, help="only the first N enterprises of the list (default: all 301)")
    p.add_argument("--mix", help="scenario weights for the simulator (default: its seeded mix)")
    p.add_argument("--min-interval", type=int, default=5, help="minute-data interval of the terminals (default 5)")
    p.add_argument("--realtime", action="store_true", help="also send real-time (2011) data (about twice the load)")
    p.add_argument("--every", type=float, default=5.0, help="seconds between console summaries")
    p.add_argument(
        "--check",
        type=float,
        metavar="SECONDS",
        help="non-interactive: run this long (wall), then exit 0 only if every alarm due was raised and no alarm"
        " was raised that no scenario calls for or allows",
    )
    p.add_argument(
        "--sim-minutes", type=float, default=0, help="with --check: stop early once this much simulated time has passed"
    )
    p.add_argument(
        "--no-people",
        dest="people",
        action="store_false",
        help="without the demo's people (enterprises responding, branch staff, the 应急科 publishing an alert through"
        " the API; docs/local.md, 'People in the demo')",
    )


def _py() -> str:
    return sys.executable


def _sim_common(args: argparse.Namespace) -> list[str]:
    out = ["--csv", str(CSV), "--seed", str(args.seed), "--start", args.start]
    if args.limit:
        out += ["--limit", str(args.limit)]
    if args.mix:
        out += ["--mix", args.mix]
    return out


def prepare(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    """Fresh data dir, manifest, registry import."""
    if data.exists() and not args.keep:
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True)
    manifest = data / "fleet.json"
    subprocess.run([_py(), "-m", "simulator", "manifest", *_sim_common(args), "--out", str(manifest)], check=True)
    subprocess.run(
        [
            _py(),
            "-m",
            "local",
            "import-fleet",
            "--data-dir",
            str(data),
            "--manifest",
            str(manifest),
            "--csv",
            str(CSV),
            "--minute-interval",
            str(args.min_interval),
        ],
        check=True,
    )
    doc: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    return doc


def anchor_clock(data: Path, stats: Path, start: str, accel: float, timeout: float = 60.0) -> None:
    """Write DATA_DIR/clock.json so that the platform's time equals the simulator's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            doc = json.loads(stats.read_text(encoding="utf-8"))
            written = stats.stat().st_mtime
        except (OSError, ValueError):
            time.sleep(0.1)
            continue
        sim = datetime.fromisoformat(doc["sim_time"])
        origin = datetime.fromisoformat(start)
        anchor = written - (sim - origin).total_seconds() / accel
        clock = {"sim_start": origin.isoformat() + CHINA, "wall_anchor": anchor, "accel": accel}
        (data / "clock.json").write_text(json.dumps(clock), encoding="utf-8")
        return
    raise RuntimeError(f"the simulator wrote no stats to {stats} within {timeout:.0f} s")


def start_processes(
    args: argparse.Namespace, data: Path, log_dir: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], ...]:
    stats = data / "sim-stats.json"
    sim_cmd = [
        _py(),
        "-m",
        "simulator",
        "run",
        *_sim_common(args),
        "--accel",
        str(args.accel),
        "--min-interval",
        str(args.min_interval),
        "--platform",
        f"127.0.0.1:{args.port}",
        "--stats",
        str(stats),
        "--quiet",
        "--reconnect",
        "1",
    ]
    if not args.realtime:
        sim_cmd.append("--no-realtime")
    # Own sessions: Ctrl-C reaches the demo only, which then stops each child once with SIGTERM (a second signal
    # would make the platform skip its drain).
    sim = subprocess.Popen(
        sim_cmd, stdout=open(log_dir / "simulator.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    anchor_clock(data, stats, args.start, args.accel)
    plat_cmd = [
        _py(),
        "-m",
        "local",
        "run",
        "--data-dir",
        str(data),
        "--port",
        str(args.port),
        "--accel",
        str(args.accel),
        "--log-every-s",
        "15",
        "--evaluate-after-s",
        "15",
        "--api-port",
        str(args.api_port),
    ]
    if (WEB_DIST / "index.html").is_file():
        plat_cmd += ["--web-dir", str(WEB_DIST)]
    plat = subprocess.Popen(
        plat_cmd,
        stdout=open(log_dir / "platform.log", "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    return plat, sim


def banner(
    args: argparse.Namespace, data: Path, manifest: dict[str, Any], accounts: list[DemoAccount] | None = None
) -> None:
    scenarios: dict[str, int] = {}
    for e in manifest["enterprises"]:
        scenarios[e["scenario"]] = scenarios.get(e["scenario"], 0) + 1
    terminals = sum(1 for e in manifest["enterprises"] for t in e["terminals"])
    wall_min = 60 / args.accel
    print(
        f"""
==== 工况用电监控平台 演示 (make demo) ====
数据目录 {data}   监听 127.0.0.1:{args.port}   时间加速 ×{args.accel:g} (1 模拟分钟 ≈ {wall_min:.1f} 秒)
模拟企业 {len(manifest["enterprises"])} 家, 终端 {terminals} 台, 模拟起点 {args.start} (北京时间)
场景: {", ".join(f"{k} {v}" for k, v in sorted(scenarios.items()))}

预计: 违规窗口在模拟时间 +30 分钟开始 (约 {30 * wall_min / 60:.0f} 分钟后), 报警在规则持续时间之后出现:
  掉电 power_loss ≈ +35 分, 治污设施停运 control_stopped ≈ +42 分, 终端离线 terminal_offline ≈ +52 分,
  低负荷 control_low_load ≈ +62 分 (模拟时间)。
查看报警:   .venv/bin/python -m local alarms --data-dir {data}
企业数据:   .venv/bin/python -m local readings --data-dir {data} --enterprise RG002
平台日志:   {data}/platform.log    模拟器日志: {data}/simulator.log
Ctrl-C 停止全部。
""",
        flush=True,
    )
    if accounts:
        if (WEB_DIST / "index.html").is_file():
            print(f"监管平台 (浏览器打开): http://127.0.0.1:{args.api_port}/   用下列账号登录")
        else:
            print("监管平台未构建 (make web 后重新运行 make demo)")
        print(
            f"接口 (API): http://127.0.0.1:{args.api_port}/api/v1/   文档: http://127.0.0.1:{args.api_port}/api/v1/openapi.json"
        )
        print("演示账号 (监管平台或 POST /api/v1/auth/login, 用户名 + 密码):")
        for a in accounts:
            print(f"  {ROLE_NAMES[a.role]:<8} {a.username:<16} {a.password:<24} 范围: {a.scope}")
        print(
            '小程序登录 (模拟微信): POST /api/v1/auth/wechat {"code": "demo-<任意名>"}; '
            "短信验证码见 notify-sent.jsonl（模拟短信服务商）",
            flush=True,
        )
        if getattr(args, "people", False):
            print(
                "演示人员 (经接口操作, 记录见 people.log): 企业在 2 小时内响应或任其超时升级, 执法分局派发、核查、"
                "办结, 应急科在 +20 分钟左右发布橙色预警并提前解除",
                flush=True,
            )
        print(flush=True)


def summary(data: Path, manifest: dict[str, Any], prev: dict[str, float]) -> tuple[str, Any]:
    from monitoring.cli_views import alarm_rows

    try:
        status = json.loads((data / "status.json").read_text(encoding="utf-8"))
        stats = json.loads((data / "sim-stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "（平台启动中…）", None
    store = _open(data)
    try:
        rows = alarm_rows(store, limit=5000)
    finally:
        store.close()
    by_rule, by_town = Counter(r["rule"] for r in rows), Counter(r["town"] for r in rows)
    appended = status["queue"].get("appended", 0)
    rate = (appended - prev.get("appended", appended)) / max(1e-3, status["wall"] - prev.get("wall", status["wall"]))
    prev.update(appended=appended, wall=status["wall"])
    lines = [
        f"[平台时间 {_beijing(status['platform_time'])}] 在线终端 {status['connections']}/{stats['terminals']}  "
        f"接收 {rate:,.0f} 帧/秒  已确认 {status['acks']:,}  待解码 {status['queue']['depth']}{_backlog(status)}  "
        f"模拟器缓存 {stats.get('buffered', 0)}  规则评估 {status['jobs'][EVALUATE_JOB]['runs']} 次",
        f"  未关闭报警 {len(rows)}: " + (", ".join(f"{_rule_name(k)} {v}" for k, v in by_rule.most_common()) or "无"),
        "  按镇/街道: " + (", ".join(f"{k} {v}" for k, v in by_town.most_common(8)) or "无"),
    ]
    return "\n".join(lines), status


def _backlog(status: dict[str, Any]) -> str:
    """The oldest undecoded frame's wait when it matters (decode retries a store outage until it ends)."""
    queue = status["queue"]
    oldest = float(queue.get("oldest_s") or 0)
    dead = f" 已搁置 {queue['dead']}" if queue.get("dead") else ""
    if queue.get("alarm"):
        return f"（积压告警: 最早 {oldest:,.0f} 秒未解码）{dead}"
    return (f"（最早 {oldest:,.0f} 秒）" if oldest >= 10 else "") + dead


def _open(data: Path) -> Any:
    from monitoring.storage.sqlite import open_store

    return open_store(data / DB_FILE)


def check(
    data: Path, manifest: dict[str, Any], platform_time: str, minute_interval: int, people: PeoplePlan | None = None
) -> tuple[bool, str]:
    """Every alarm due by now was raised, and no alarm was raised that no scenario of its enterprise calls for or
    allows (local.demo.scoring: EXPECTED_RULES, ALLOWED_RULES; docs/local.md); with `people`, every step of theirs
    that was due happened (local.demo.people_check)."""
    from local.demo.people_check import check_people, people_summary
    from local.demo.scoring import allowed_summary, check_expected, check_passes, judge_alarms

    store = _open(data)
    try:
        found = check_expected(
            store,
            manifest,
            county_id="rugao",
            platform_now=datetime.fromisoformat(platform_time),
            minute_interval=minute_interval,
        )
        alarms = store.alarms.list(limit=1_000_000)
        now = datetime.fromisoformat(platform_time)
        steps = check_people(store, people, now, emergency=EMERGENCY_LOGIN) if people is not None else []
    finally:
        store.close()
    unexpected = judge_alarms(manifest, alarms, county_id="rugao", minute_interval=minute_interval)
    met = [e for e in found if e.met]
    lines = [f"应出现的报警 {len(found)} 条, 已出现 {len(met)} 条"]
    for e in found:
        lines.append(
            f"  {'✓' if e.met else '✗'} {e.enterprise} {e.scenario}: {e.rule} on {e.point} (违规起 {e.window_from})"
            + ("" if e.met else f"  — 该企业现有报警: {e.detail}")
        )
    raised = allowed_summary(manifest, alarms, county_id="rugao")
    lines.append(
        "各场景的报警 (未撤销): " + (", ".join(f"{sc}/{rule} {n}" for (sc, rule), n in sorted(raised.items())) or "无")
    )
    lines.append(f"意外报警 (无场景预期或允许) {len(unexpected)} 条")
    for u in unexpected:
        lines.append(
            f"  ✗ {u.enterprise} {u.scenario}: {u.rule} on {u.points} 数据时间 {u.data_time} [{u.state}] — {u.reason}"
        )
    expects_nothing = not any(e.get("expected_alarms") for e in manifest["enterprises"])
    people_ok, people_lines = people_summary(steps)
    if people is not None:
        lines += people_lines
    passed = check_passes(found, unexpected, expects_nothing=expects_nothing) and people_ok
    return passed, "\n".join(lines)


def stop(procs: tuple[subprocess.Popen[bytes], ...]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


def main(args: argparse.Namespace) -> int:
    data = Path(args.data_dir)
    manifest = prepare(args, data)
    store = _open(data)
    try:
        accounts = ensure_demo_accounts(store)
        ensure_demo_random_checks(store, datetime.fromisoformat(args.start), branch_user=demo_username(Role.BRANCH))
        installer = store.accounts.find_by_username(demo_username(Role.INSTALLER))
        if installer is not None:  # inspections due and overdue on the 运维 screen (docs/maintenance.md)
            start = datetime.fromisoformat(args.start)
            start = start if start.tzinfo else start.replace(tzinfo=CHINA_TZ)  # --start is Beijing time
            seed_maintenance(store, start.astimezone(UTC), installer.id)
    finally:
        store.close()
    banner(args, data, manifest, accounts)
    wechat = WeChatStub(DEMO_WECHAT_APPID, DEMO_WECHAT_SECRET)
    wechat.start()
    # The notification providers on loopback: the platform's notify worker sends to them (docs/notify_channels.md).
    stubs = ProviderStubs()
    write_settings(stubs, data / "notify-channels.json")
    record_to(stubs, data / "notify-sent.jsonl")
    # The API sends SMS login codes through the same providers: a code shows in notify-sent.jsonl.
    env = {
        **wechat_env(wechat),
        "NOTIFY_CHANNELS_FILE": str(data / "notify-channels.json"),
        "API_SMS_SENDER": "provider",
    }
    procs = start_processes(args, data, data, env=env)
    plan = plan_people(manifest, seed=args.seed, start=datetime.fromisoformat(args.start)) if args.people else None
    people = start_people(args, data, plan, accounts) if plan is not None else None
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    began = time.monotonic()
    prev: dict[str, float] = {}
    status: Any = None
    ok = False
    try:
        while True:
            time.sleep(args.every)
            for p, name in zip(procs, ("platform", "simulator"), strict=True):
                if p.poll() is not None:
                    print(f"{name} exited with code {p.returncode}; see {data}/{name}.log", file=sys.stderr)
                    return 1
            text, st = summary(data, manifest, prev)
            status = st or status
            print(
                f"{text}\n{tally(stubs)}" + (("\n" + people.summary()) if people is not None and st else ""), flush=True
            )
            if args.check is not None and status is not None:
                elapsed = time.monotonic() - began
                sim_elapsed = (
                    datetime.fromisoformat(status["platform_time"]).astimezone(CHINA_TZ).replace(tzinfo=None)
                    - datetime.fromisoformat(args.start)
                ).total_seconds() / 60
                if elapsed >= args.check or (args.sim_minutes and sim_elapsed >= args.sim_minutes):
                    ok, report = check(data, manifest, status["platform_time"], args.min_interval, plan)
                    print(report, flush=True)
                    return 0 if ok else 1
    except KeyboardInterrupt:
        print("\n停止中…", flush=True)
        return 0 if args.check is None else 1
    finally:
        if people is not None:
            people.stop()
        stop(procs)
        wechat.stop()
        stubs.close()
        os.environ.pop("_LOCAL_DEMO", None)
        os.environ.pop("NOTIFY_CHANNELS_FILE", None)


def start_people(args: argparse.Namespace, data: Path, plan: PeoplePlan, accounts: list[DemoAccount]) -> People:
    """The demo's people on a thread of the demo process, talking to the platform's API; their log: people.log."""
    handler = logging.FileHandler(data / "people.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("local.demo.people")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the console shows the demo's summary lines, not every step
    login = {a.role: (a.username, a.password) for a in accounts}
    people = People(
        f"http://127.0.0.1:{args.api_port}", data, plan, admin=login[Role.ADMIN], emergency=login[Role.EMERGENCY]
    )
    people.start()
    return people


def _beijing(iso: str) -> str:
    """Platform time as the people watching read it (UTC is kept internally)."""
    return datetime.fromisoformat(iso).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _rule_name(rule_id: str) -> str:
    """The rule's Chinese name (up to its explanation in brackets), falling back to its id."""
    spec = RULES.get(rule_id)
    return spec.name.split("（")[0] if spec else rule_id
