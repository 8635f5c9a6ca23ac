"""A demo-like alarm on sqlite: the simulator's two-circuit terminal (production line, its fan) sends 2 h of data
through the real decoder; the fan stops after 60 min; the alarm has a response with a photo, a notification and
audit entries, and it was dispatched to a branch whose inspector (an account) recorded a verification."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from hj212 import build_frame
from monitoring.accounts.models import Account, Role
from monitoring.alarms.models import (
    Actor,
    ActorRole,
    Alarm,
    AlarmState,
    AuditEntry,
    Cause,
    Episode,
    Location,
    Response,
    Verification,
)
from monitoring.archive.models import AuthStatus
from monitoring.audit.models import AuditRecord
from monitoring.clock import FixedClock
from monitoring.ingest.decode import decode_records
from monitoring.ingest.records import FrameRecord, encode_record
from monitoring.notify.models import Notification
from monitoring.notify.ports import ChannelKind
from monitoring.photos.models import Photo, PhotoKind
from monitoring.profiles.loader import load_profiles
from monitoring.profiles.models import Profile
from monitoring.registry.models import (
    Association,
    Branch,
    County,
    Enterprise,
    EnterpriseCategory,
    Facility,
    FacilityKind,
    MonitoringPoint,
    PointStatus,
    Town,
)
from monitoring.registry.terminal import Terminal as Registered
from monitoring.registry.terminal import hash_password
from monitoring.storage.photo_blobs.local import LocalPhotoBlobs
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from tests.unit.simulator.conftest import START, run_for, scenario, terminal

START_UTC = (START - timedelta(hours=8)).replace(tzinfo=UTC)  # the simulator's START is China wall time
FAN_STOPS = START_UTC + timedelta(minutes=60)
MINUTES = 120
ENT = "rugao-ent-demo"
ALARM_ID = "control_stopped|line-1/pt-fan|20261130T010000Z"
INSPECTOR = "acc-branch-1f2e3d"  # an account id: the package shows 李四 and keeps the id in brackets


@dataclass
class Scene:
    store: Store
    alarm_id: str
    now: datetime
    mn: str
    blobs: LocalPhotoBlobs
    profiles: dict[str, Profile]
    photo: bytes
    records: list[bytes] = field(default_factory=list)  # the terminal's frame records as the listener sent them


def _registry(store: Store, mn: str) -> None:
    reg = store.registry
    reg.put_county(County("rugao", "如皋市"))
    reg.put_town(Town("rugao-town-1", "rugao", "长江镇"))
    reg.put_branch(Branch("rugao-branch-1", "rugao", "执法一局"))
    reg.put_enterprise(
        Enterprise(
            ENT,
            "rugao",
            "如皋市示范金属制品有限公司",
            "rugao-town-1",
            "rugao-branch-1",
            EnterpriseCategory.AIR_CONTROL,
            credit_code="91320682MA1XXXXXX1",
        )
    )
    reg.put_facility(Facility("fac-furnace", ENT, "MF0001", "中频电炉", FacilityKind.PRODUCTION))
    reg.put_facility(Facility("fac-fan", ENT, "TA001", "布袋除尘风机", FacilityKind.CONTROL))
    for pid, fid, code, name, role, channel in (
        ("pt-furnace", "fac-furnace", "320682MF0001001", "中频电炉电源", FacilityKind.PRODUCTION, "01"),
        ("pt-fan", "fac-fan", "320682TA0010001", "除尘风机电源", FacilityKind.CONTROL, "02"),
    ):
        reg.put_point(
            MonitoringPoint(pid, ENT, fid, code, name, role, mn=mn, channel=channel, status=PointStatus.RUNNING)
        )
    reg.put_association(Association("line-1", ENT, "1号除尘治理线", "fac-fan", ("fac-furnace",)))
    reg.put_terminal(Registered(mn=mn, county_id="rugao", password_hash=hash_password("123456", n=2)))


def _frames(mn_index: int) -> tuple[str, list[bytes]]:
    sc = scenario(
        {"type": "production_on", "from_min": 0, "to_min": 240},
        {"type": "control_off", "role": "control", "from_min": 60, "to_min": 240},
    )
    term = terminal(sc, mn_index, shared=True)
    out = []
    for n, rec in enumerate(run_for(term, MINUTES)):
        sent = datetime.strptime(rec.data_time, "%Y%m%d%H%M%S").replace(tzinfo=UTC) - timedelta(hours=8)
        for i, cp in enumerate(rec.packets, 1):
            split = len(rec.packets) > 1
            raw = build_frame(
                st="31",
                cn=rec.cn,
                mn=term.mn,
                pw="123456",
                qn=f"{rec.data_time}{n % 1000:03d}",
                ack=True,
                pnum=len(rec.packets) if split else None,
                pno=i if split else None,
                cp=cp,
            )
            received = sent + timedelta(seconds=2, milliseconds=i)
            out.append(
                encode_record(
                    FrameRecord(
                        term.mn,
                        raw,
                        received,
                        "10.8.0.7:50211",
                        AuthStatus.OK,
                        "hj212",
                        rec.cn,
                        "",
                        "listener-1",
                        f"s{n // 500}",
                    )
                )
            )
    return term.mn, out


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def build_scene(tmp_path: Path) -> Scene:
    now = START_UTC + timedelta(minutes=MINUTES + 5)
    clock = FixedClock(now)
    store = open_store(tmp_path / "gongkuang.db", clock=clock)
    mn, stream = _frames(2)
    _registry(store, mn)
    profiles = load_profiles()
    decode_records(stream, store, clock, profiles)
    blobs = LocalPhotoBlobs(tmp_path / "photos")
    photo = _png()
    import hashlib

    photo_id = "ph-" + "a" * 32
    store.photos.put_photo(
        Photo(
            photo_id,
            ENT,
            PhotoKind.ALARM_RESPONSE,
            "acc-ent",
            "image/png",
            len(photo),
            hashlib.sha256(photo).hexdigest(),
            64,
            48,
            now - timedelta(minutes=20),
        )
    )
    blobs.put(photo_id, photo, "image/png")
    evidence = {
        "association": "line-1",
        "control_point": "pt-fan",
        "production_points": ["pt-furnace"],
        "thresholds": {"min_duration_min": 10, "p_on_kw": 3.0, "p_off_kw": 1.5},
    }
    created = FAN_STOPS + timedelta(minutes=12)
    store.accounts.put_account(
        Account(INSPECTOR, "li_si", "李四", Role.BRANCH, "rugao", branch_id="rugao-branch-1", created_at=created)
    )
    store.accounts.put_account(
        Account("acc-ent", "zhang_san", "张三", Role.ENTERPRISE, "rugao", enterprise_ids=(ENT,), created_at=created)
    )
    dispatched_at = now - timedelta(minutes=15)
    verification = Verification("现场核查：风机皮带已更换，治污设施恢复运行", (), INSPECTOR, now - timedelta(minutes=8))
    response = Response(
        Cause.EQUIPMENT_FAULT,
        "风机皮带断裂，正在更换",
        (photo_id,),
        "张三（企业环保专员）",
        now - timedelta(minutes=20),
        Location(32.39, 120.56, 15.0),
    )
    alarm = Alarm(
        ALARM_ID,
        "control_stopped",
        "line-1/pt-fan",
        ENT,
        "high",
        AlarmState.VERIFIED,
        (Episode(FAN_STOPS, None, evidence, {"pt-fan": {"known_share": 0.98, "samples": 60}}),),
        created,
        verification.at,
        ("pt-furnace", "pt-fan"),
        response=response,
        dispatched_to="rugao-branch-1",
        dispatched_at=dispatched_at,
        verification=verification,
    )
    store.alarms.put(alarm, expected_version=None)
    store.audit.append(AuditEntry(ALARM_ID, created, "system", "system", "rules-engine", "raise", None, "pending"))
    actor = Actor("acc-ent", ActorRole.ENTERPRISE, "ip:203.0.113.7 via miniprogram", ENT)
    store.audit.append(
        AuditEntry(
            ALARM_ID,
            response.at,
            actor.id,
            actor.role.value,
            actor.source,
            "respond",
            "pending",
            "responded",
            {"cause": "equipment_fault"},
        )
    )
    for at, action, before, after, detail in (
        (dispatched_at, "dispatched", "responded", "dispatched", {"branch": "rugao-branch-1"}),
        (verification.at, "verified", "dispatched", "verified", {"late": False}),
    ):
        store.audit.append(AuditEntry(ALARM_ID, at, INSPECTOR, "branch", "ip:198.51.100.4 via web", action, before,
                                      after, detail))  # fmt: skip
    store.audit_trail.append(
        AuditRecord(
            response.at,
            "acc-ent",
            "enterprise",
            "203.0.113.7",
            "miniprogram",
            "alarm.respond",
            "alarm",
            ALARM_ID,
            ENT,
            {"state": "responded"},
            "r1",
        )
    )
    store.outbox.add(
        [
            Notification(
                "n1",
                ALARM_ID,
                "alarm_raised",
                ChannelKind.SMS,
                "acc-ent",
                "张三",
                "enterprise",
                "13800138000",
                "alarm_raised",
                {},
                "【如皋工况用电】请于24小时内响应，电话13800138000",
                created,
                created,
                alarm_id=ALARM_ID,
                enterprise_id=ENT,
            )
        ]
    )
    return Scene(store, ALARM_ID, now, mn, blobs, profiles, photo, stream)
