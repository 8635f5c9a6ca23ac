"""The dashboard against the demo itself (`python -m local demo`: simulated fleet at ×10, the demo's people, the
platform clock days behind the browser's): producing enterprises, today's curves, the alert's phase, the month's
report, a town's scope. Regenerates README's overview screenshot; records the alarm desk's first paint."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, INKED_PIXELS_JS, ROOT, ConsoleErrors, shot

LIMIT = 15  # enterprises of the list: enough for every screen, light on a shared 2-core machine
README_SHOT = ROOT / "docs" / "img" / "dashboard-overview.png"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Demo:
    url: str
    data: Path
    tokens: dict[str, str]

    def api(self, method: str, path: str, *, role: str = "admin", body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.tokens[role]}"}
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}api/v1{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=20) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def now(self) -> datetime:
        with urllib.request.urlopen(f"{self.url}api/v1/health", timeout=20) as reply:
            return datetime.fromisoformat(json.loads(reply.read())["time"])


def _login(url: str, role: str) -> str | None:
    body = json.dumps({"login": f"demo_{role}", "password": f"Demo-{role}-2026"}).encode()
    req = urllib.request.Request(
        f"{url}api/v1/auth/login", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=20) as reply:
            return str(json.loads(reply.read())["access_token"])
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`python -m local demo --limit 15` (×10, people on), until some enterprises are producing."""
    data = Path(tmp_path_factory.mktemp("demo")) / "data"
    port, api_port = _free_port(), _free_port()
    log = data.parent / "demo.log"
    cmd = [sys.executable, "-m", "local", "demo", "--data-dir", str(data), "--port", str(port),
           "--api-port", str(api_port), "--limit", str(LIMIT), "--every", "5"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{api_port}/"
    try:
        deadline = time.monotonic() + 150  # import, start, first frames decoded and judged on a loaded machine
        tokens: dict[str, str] = {}
        producing = 0
        while producing == 0:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, f"no enterprise producing; {log.read_text(errors='replace')[-3000:]}"
            time.sleep(2)
            for role in ("admin", "town", "emergency", "branch"):
                if role not in tokens and (token := _login(url, role)):
                    tokens[role] = token
            if "admin" in tokens:
                status, summary = Demo(url, data, tokens).api("GET", "/dashboard/summary")
                producing = summary["total"]["producing"] if status == 200 else 0
        settle = time.monotonic() + 45  # a fuller picture for README if it comes soon (not required)
        while producing < LIMIT // 2 and time.monotonic() < min(settle, deadline):
            time.sleep(3)
            status, summary = Demo(url, data, tokens).api("GET", "/dashboard/summary")
            producing = summary["total"]["producing"] if status == 200 else producing
        yield Demo(url, data, tokens)
    finally:
        proc.terminate()
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()


def _sign_in(page: Page, demo: Demo, role: str) -> None:
    page.goto(demo.url + "login")
    page.get_by_label("用户名或手机号").fill(f"demo_{role}")
    page.keyboard.press("Tab")
    page.keyboard.type(f"Demo-{role}-2026")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "/login" not in u)


def test_the_overview_shows_the_fleet_producing(page: Page, demo: Demo, console: ConsoleErrors) -> None:
    _sign_in(page, demo, "admin")
    expect(page.locator("[data-test=stat-enterprises] .stat-main")).to_contain_text(str(LIMIT))
    status = page.locator("[data-test=stat-status]")
    expect(status).to_contain_text(re.compile(r"生产 [1-9]\d*"))
    page.wait_for_timeout(500)  # ECharts draws on the next frame
    path = shot(page, "demo-overview")
    with Image.open(path) as full:  # README's picture: the first screen, halved (a small PNG)
        top = full.crop((0, 0, 1366, min(full.height, 768))).convert("RGB")
        top.resize((683, top.height // 2)).quantize(128).save(README_SHOT, optimize=True)

    began = time.perf_counter()  # the alarm desk's first meaningful paint with the demo data (reported, not timed)
    page.goto(demo.url + "alarms")
    expect(page.locator(".alarms-table .el-table__row").first.or_(page.get_by_text("暂无报警"))).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    figure = {"demo_alarm_desk_first_paint_ms": round((time.perf_counter() - began) * 1000), "limit": LIMIT}
    (ARTIFACTS / "demo_alarm_desk_paint.json").write_text(json.dumps(figure), encoding="utf-8")


def test_todays_curves_of_a_producing_enterprise(page: Page, demo: Demo, console: ConsoleErrors) -> None:
    status, found = demo.api("GET", "/enterprises?status=producing&limit=1")
    assert status == 200 and found["items"], found
    ent = found["items"][0]
    _sign_in(page, demo, "admin")
    page.goto(demo.url + f"enterprises/{ent['enterprise_id']}")
    expect(page.get_by_role("heading", name=ent["name"])).to_be_visible()
    curves = page.locator("[data-test=line-curves] canvas")
    expect(curves.first).to_be_visible(timeout=20_000)
    page.wait_for_timeout(500)
    assert page.evaluate(INKED_PIXELS_JS, "[data-test=line-curves] canvas") > 1500
    shot(page, "demo-enterprise")


def test_the_running_alert_is_active_with_its_end_button(page: Page, demo: Demo, console: ConsoleErrors) -> None:
    status, alerts = demo.api("GET", "/emergency/alerts?active=true")
    assert status == 200, alerts
    if not alerts["items"]:  # the demo's people publish theirs 20-25 simulated minutes in: not yet, so ours
        now = demo.now()
        start, end = (now - timedelta(minutes=5)).isoformat(), (now + timedelta(hours=6)).isoformat()
        body = {"level": "yellow", "title": "浏览器测试预警", "alert_id": "browser-demo", "start": start, "end": end}
        status, made = demo.api("POST", "/emergency/alerts", role="emergency", body=body)
        assert status == 201, made
        alerts = {"items": [made]}
    title = alerts["items"][0]["title"] or alerts["items"][0]["id"]
    _sign_in(page, demo, "emergency")
    page.goto(demo.url + "emergency")
    row = page.locator(".el-table__row", has_text=title).first
    expect(row).to_contain_text("生效中")
    expect(row.get_by_role("button", name="解除")).to_be_visible()


def test_reports_open_on_the_platforms_month(page: Page, demo: Demo, console: ConsoleErrors) -> None:
    month = demo.now().strftime("%Y-%m")  # 2026-11 while the browser says December
    _sign_in(page, demo, "admin")
    page.goto(demo.url + "reports")
    expect(page.locator(".month-table .el-table__row").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text(re.compile(rf"{month}-01 至"))).to_be_visible()


def test_a_town_sees_its_own_enterprises_and_alarms(page: Page, demo: Demo, console: ConsoleErrors) -> None:
    status, me = demo.api("GET", "/me", role="town")
    assert status == 200, me
    town_id = me["town_id"]
    _, county = demo.api("GET", "/dashboard/summary")
    town = next(t for t in county["towns"] if t["id"] == town_id)
    _, listed = demo.api("GET", f"/enterprises?town_id={town_id}&limit=100")
    names = {e["name"] for e in listed["items"]}
    assert town["counts"]["enterprises"] == len(names) > 0  # the list's first 15 all lie in one town (城北街道)
    _sign_in(page, demo, "town")
    expect(page.locator("[data-test=stat-enterprises] .stat-main")).to_contain_text(str(town["counts"]["enterprises"]))
    page.goto(demo.url + "alarms")
    expect(page.locator(".alarms-table .el-table__row").first.or_(page.get_by_text("暂无报警"))).to_be_visible()
    shown = set(page.locator(".alarms-table .alarm-link").all_inner_texts())
    assert shown <= names, shown - names
