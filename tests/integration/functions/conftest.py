"""Handler fixtures: a LambdaContext stub and `_wiring` pointed at a fresh sqlite store (Powertools test idiom)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from functions import _wiring
from monitoring.clock import FixedClock
from monitoring.storage.ports import Store

NOW = datetime(2026, 11, 28, 10, 35, tzinfo=UTC)


@dataclass
class LambdaContext:
    function_name: str = "on_frame_batch"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws-cn:lambda:cn-north-1:123456789012:function:on_frame_batch"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class NotifySendContext:
    """NotifySend's context: a run with 55 s left; the request id names the sender (its lease owner)."""

    aws_request_id: str = "req-1"
    function_name: str = "NotifySend"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws-cn:lambda:cn-north-1:123456789012:function:NotifySend"

    def get_remaining_time_in_millis(self) -> int:
        return 55_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def wired_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A sqlite store behind `_wiring`, with a frozen clock; reset after the test (a new cold start)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Gongkuang")
    settings = _wiring.Settings(store_backend="sqlite", sqlite_path=str(tmp_path / "platform.db"))
    _wiring.configure(settings, clock=FixedClock(NOW))
    store = _wiring.get_store()
    yield store
    store.close()
    _wiring.configure(None)
