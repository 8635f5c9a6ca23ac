"""Helpers for decode tests: frames built independently of hj212 (CRC per HJ 212-2017 附录A), records, registry."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.archive.models import ArchivedFrame
from monitoring.clock import FixedClock
from monitoring.profiles.loader import DEFAULT_DIR, build_profiles, read_sources
from monitoring.profiles.models import Profile
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store

MN = "88888880000001"
PW = "123456"
NOW = datetime(2026, 11, 28, 10, 34, tzinfo=UTC)  # 18:34 China time


def crc16(data: bytes) -> int:
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return reg


def frame(
    cn: str,
    cp: str,
    *,
    st: str = "32",
    mn: str = MN,
    pw: str = PW,
    qn: str = "20261128183345001",
    flag: int = 5,
    split: tuple[int, int] | None = None,
) -> bytes:
    packets = f"PNUM={split[0]};PNO={split[1]};" if split else ""
    flag = flag | 2 if split else flag
    body = f"QN={qn};ST={st};CN={cn};PW={pw};MN={mn};Flag={flag};{packets}CP=&&{cp}&&".encode()
    return b"##%04d" % len(body) + body + b"%04X" % crc16(body) + b"\r\n"


def record(
    raw: bytes, *, at: datetime = NOW, mn: str = MN, auth: str = "ok", cn: str = "2011", peer: str = "203.0.113.7:5"
) -> bytes:
    doc: Mapping[str, Any] = {
        "v": 1,
        "frame": base64.b64encode(raw).decode(),
        "received_at": at.isoformat(),
        "peer": peer,
        "mn": mn,
        "cn": cn,
        "qn": "",
        "listener": "l1",
        "session": "s1",
        "auth": auth,
        "crc": "hj212",
    }
    return json.dumps(doc).encode()


def register(store: Store, *, mn: str = MN, channels: tuple[str, ...] = ("01",), profile: str = "default") -> None:
    terminal = Terminal(mn=mn, county_id="rugao", password_hash=hash_password(PW, n=2), profile=profile)
    store.registry.put_terminal(terminal)
    for ch in channels:
        bind(store, mn=mn, channel=ch)


def bind(store: Store, *, mn: str = MN, channel: str = "01", point_id: str | None = None) -> MonitoringPoint:
    pid = point_id or f"p-{mn[-4:]}-{channel or 'x'}"
    point = MonitoringPoint(
        point_id=pid,
        enterprise_id="e1",
        facility_id="f1",
        point_code=f"code-{pid}",
        name="引风机",
        role=FacilityKind.CONTROL,
        mn=mn,
        channel=channel,
    )
    return store.registry.put_point(point)


def split_packet(minute: int, pno: int, *, mn: str = MN) -> bytes:
    """Packet `pno` of a 3-packet 2051 upload for 18:`minute` China time (P, Ua, Ia in packets 1, 2, 3)."""
    data_time = f"DataTime=20261128{18 + minute // 60:02d}{minute % 60:02d}00"
    cp = {1: "P01-Avg=8.0", 2: "Ua01-Avg=230", 3: "Ia01-Avg=12"}[pno]
    qn = f"2026112818{minute:02d}01{pno:03d}"
    return frame("2051", f"{data_time};{cp}", st="44", flag=9, split=(3, pno), mn=mn, qn=qn)


class CountingArchive:
    """Wraps a store's archive and counts range reads (the expensive sibling lookup of split joins)."""

    def __init__(self, store: Store) -> None:
        self.inner, self.range_reads = store.archive, 0

    def frames(
        self, mn: str, start: datetime, end: datetime, *, limit: int = 10_000, containing: bytes = b""
    ) -> list[ArchivedFrame]:
        self.range_reads += 1
        return self.inner.frames(mn, start, end, limit=limit, containing=containing)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def count_archive_reads(store: Store) -> CountingArchive:
    """Put a CountingArchive in front of the store's archive; returns it."""
    counting = CountingArchive(store)
    store.archive = counting  # type: ignore[assignment]
    return counting


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return build_profiles(read_sources(DEFAULT_DIR))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def store(clock: FixedClock) -> Store:
    return memory_store(clock=clock)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
