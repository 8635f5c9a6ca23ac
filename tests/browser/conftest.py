"""Browser tests: the built dashboard on the real local platform (`python -m local run`) over the seeded demo
county, in Debian's Chromium with CJK fonts; screenshots under tests/browser/artifacts (git-ignored)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.seed import Seeded, seed

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return "Debian chromium is not installed (apt-get install chromium fonts-noto-cjk; `make test` does it as root)"
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    if "Noto Sans CJK" not in fonts:
        return "fonts-noto-cjk is not installed (apt-get install fonts-noto-cjk): Chinese would render as boxes"
    if not (DIST / "index.html").is_file():
        return "the dashboard is not built (make web)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    mine = [i for i in items if Path(str(i.fspath)).resolve().is_relative_to(here)]
    for item in mine:
        item.add_marker(pytest.mark.browser)
    reason = _missing() if mine else None
    if reason:
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass(frozen=True)
class Platform:
    url: str  # http://127.0.0.1:<port>/
    data: Path
    seeded: Seeded

    def api(self, method: str, path: str, *, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        """A call to the API as a person's other device would make it (the enterprise's mini-program, a colleague)."""
        import urllib.error
        import urllib.request

        headers = {"Content-Type": "application/json", "X-Client-Channel": "miniprogram"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}api/v1{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=20) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def token(self, role: str) -> str:
        account = self.seeded.accounts[role]
        status, body = self.api("POST", "/auth/login", body={"login": account.username, "password": account.password})
        assert status == 200, body
        return str(body["access_token"])


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data = Path(tmp_path_factory.mktemp("browser")) / "data"
    data.mkdir()
    seeded = seed(data)
    log = data.parent / "platform.log"
    cmd = [sys.executable, "-m", "local", "run", "--data-dir", str(data), "--port", "0", "--api-port", "0",
           "--status-every-s", "0.5", "--web-dir", str(DIST),
           "--evaluate-after-s", "3600"]  # fmt: skip
    # The seeded alarms stand in for the rules: an evaluation mid-test would rewrite them (a new version, a 409).
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        url = None
        while url is None:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            try:
                url = json.loads((data / "status.json").read_text(encoding="utf-8")).get("web_url")
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        yield Platform(url, data, seeded)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options: Debian's chromium, not a downloaded one."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """The smallest screen the bureau uses (a 1366×768 laptop), Chinese locale, Beijing time."""
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}, "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai"}  # fmt: skip


class ConsoleErrors:
    """Console errors and uncaught exceptions of a page. Chromium also logs every 4xx answer of fetch as an error;
    a test that provokes one on purpose (a 409, an out-of-scope 404) allows that status by number."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.allowed: set[int] = set()

    def allow(self, status: int) -> None:
        self.allowed.add(status)

    def unexpected(self) -> list[str]:
        ok = tuple(f"status of {s} " for s in self.allowed)
        return [e for e in self.seen if not (ok and "Failed to load resource" in e and any(o in e for o in ok))]


@pytest.fixture
def console(page: Any) -> Iterator[ConsoleErrors]:
    """Every test's page is watched; the test fails if an unexpected error reached the console."""
    errors = ConsoleErrors()
    page.on("console", lambda m: errors.seen.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.seen.append(f"pageerror: {e}"))
    yield errors
    assert errors.unexpected() == [], errors.unexpected()


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot once the toasts are gone (they cover the header)."""
    ARTIFACTS.mkdir(exist_ok=True)
    toasts = page.locator(".el-message")
    if toasts.count():
        toasts.last.wait_for(state="detached", timeout=6000)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
