"""Everything an alarm's evidence package holds, read from the store: the alarm, names, the line's points and
minute readings, the terminals' archived frames and their chain segments (or, on AWS, the S3 archive's frames and
manifests: evidence/delivered.py), photos, notifications, audit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from monitoring.alarms.detail import line_points
from monitoring.alarms.models import Alarm, AuditEntry
from monitoring.archive.models import ArchivedFrame
from monitoring.audit.models import AuditRecord
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.evidence.delivered import DeliveredArchive, DeliveredProof
from monitoring.notify.models import Notification
from monitoring.photos.models import Photo
from monitoring.photos.ports import PhotoBlobStore
from monitoring.profiles.loader import DEFAULT_PROFILE_ID
from monitoring.profiles.models import Profile
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.models import Association, Enterprise, Facility, MonitoringPoint
from monitoring.storage.ports import Store

BEFORE: Final = timedelta(hours=1)  # context before the first episode
AFTER: Final = timedelta(minutes=30)
MAX_WINDOW: Final = timedelta(hours=48)
LATE_FRAMES: Final = timedelta(hours=2)  # frames received this long after the window still count (backfill)
MAX_FRAMES_PER_MN: Final = 20_000  # 48 h of minute and realtime uploads fit
MAX_TAIL: Final = 5_000  # chain records after the window carried up to the head; beyond, the head is stated
MAX_READINGS_PER_POINT: Final = 6_000
_PAGE: Final = 1_000
# Exports are on the trail with the package's hash, but not in later packages: re-exporting an unchanged alarm
# gives the same bytes, so two exports can be compared by hash.
EXPORT_ACTIONS: Final = frozenset({"alarms.evidence", "evidence.export"})


@dataclass(frozen=True, slots=True)
class Chain:
    """One terminal's chain segment: the window's frames (`frames`) and the records after them up to the head
    (`tail`) when there are at most MAX_TAIL of them; `head` is the chain's head at export."""

    mn: str
    frames: tuple[ArchivedFrame, ...]
    tail: tuple[ArchivedFrame, ...]
    head: ArchivedFrame
    profile: Profile | None  # None: the terminal is not registered (its frames made no readings)

    @property
    def reaches_head(self) -> bool:
        last = (self.tail or self.frames)[-1]
        return last.seq == self.head.seq


@dataclass(frozen=True, slots=True)
class PhotoFile:
    photo: Photo
    data: bytes | None  # None: the bytes are not available to this export (no blob store, or missing)
    purpose: str  # 企业响应 | 现场核查


@dataclass(frozen=True, slots=True)
class Evidence:
    alarm: Alarm
    rule_name: str
    enterprise: Enterprise | None
    start: datetime
    end: datetime
    points: tuple[tuple[MonitoringPoint, str], ...]  # (point, production | control | other)
    facilities: dict[str, Facility]
    associations: tuple[Association, ...]
    readings: dict[str, tuple[Reading, ...]]  # point id → minute readings, ascending
    chains: tuple[Chain, ...]
    photos: tuple[PhotoFile, ...]
    notifications: tuple[Notification, ...]
    workflow: tuple[AuditEntry, ...]
    trail: tuple[AuditRecord, ...]
    exported_at: datetime
    people: dict[str, str]  # account id → display name, for everyone the package names
    branch_names: dict[str, str]  # branch id → name (执法一局…) of the enterprise's county
    delivered: DeliveredProof | None = None  # AWS: frames and proof from the S3 archive (`chains` is then empty)


def evidence_window(alarm: Alarm, now: datetime) -> tuple[datetime, datetime]:
    """From an hour before the first episode to half an hour after the last one ends (or now), at most 48 h."""
    live = alarm.live_episodes or alarm.episodes
    if not live:
        raise InvalidInputError("该告警没有告警时段，无法生成证据包")
    start = min(e.start for e in live) - BEFORE
    ends = [e.end or now for e in live]
    end = min(max(ends) + AFTER, now, start + MAX_WINDOW)
    return start, max(end, start + timedelta(minutes=1))


def collect(
    store: Store,
    alarm_id: str,
    now: datetime,
    profiles: Mapping[str, Profile],
    blobs: PhotoBlobStore | None = None,
    archive: DeliveredArchive | None = None,
    max_bytes: int | None = None,
) -> Evidence:
    """NotFoundError when the alarm does not exist. With `archive` (AWS) the frames and their proof come from the
    S3 archive instead of `store.archive`; EvidenceTooLargeError when its manifests alone pass `max_bytes`."""
    from monitoring.evaluation.catalogue import RULES

    alarm = store.alarms.get(alarm_id)
    start, end = evidence_window(alarm, now)
    enterprise = store.registry.find_enterprise(alarm.enterprise_id)
    points = tuple(line_points(store, alarm))
    facilities = {f.facility_id: f for f in store.registry.list_facilities(alarm.enterprise_id)}
    on_line = {p.facility_id for p, _ in points}
    associations = tuple(
        a
        for a in store.registry.list_associations(alarm.enterprise_id)
        if a.control_facility_id in on_line or on_line & set(a.production_facility_ids)
    )
    readings = {
        p.point_id: tuple(
            store.readings.readings(p.point_id, ReadingKind.MINUTE, start, end, limit=MAX_READINGS_PER_POINT)
        )
        for p, _ in points
    }
    mns = sorted({p.mn for p, _ in points if p.mn})
    delivered = None
    if archive is None:
        chains = tuple(c for c in (_chain(store, mn, start, end, now, profiles) for mn in mns) if c is not None)
    else:
        chains = ()
        by_mn = {mn: _profile(store, mn, profiles) for mn in mns}
        delivered = archive.proof(mns, start, min(end + LATE_FRAMES, now), by_mn, max_bytes=max_bytes)
    spec = RULES.get(alarm.rule)
    workflow = tuple(store.audit.for_alarm(alarm.id))
    trail = tuple(_trail(store, alarm, now))
    actors = {e.actor for e in workflow} | {r.actor_id for r in trail}
    actors |= {x.by for x in (alarm.response, alarm.verification) if x is not None}
    county = enterprise.county_id if enterprise is not None else None
    return Evidence(
        alarm=alarm,
        rule_name=spec.name if spec else alarm.rule,
        enterprise=enterprise,
        start=start,
        end=end,
        points=points,
        facilities=facilities,
        associations=associations,
        readings=readings,
        chains=chains,
        photos=tuple(_photos(store, alarm, blobs)),
        notifications=tuple(store.outbox.for_alarm(alarm.id)),
        workflow=workflow,
        trail=trail,
        exported_at=now,
        people=_people(store, actors),
        branch_names={b.branch_id: b.name for b in store.registry.list_branches(county)} if county else {},
        delivered=delivered,
    )


def _people(store: Store, ids: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for account_id in sorted(ids)[:_PAGE]:
        account = store.accounts.find_account(account_id) if account_id else None
        if account is not None:
            out[account_id] = account.display_name
    return out


def _chain(
    store: Store, mn: str, start: datetime, end: datetime, now: datetime, profiles: Mapping[str, Profile]
) -> Chain | None:
    received = store.archive.frames(mn, start, min(end + LATE_FRAMES, now), limit=MAX_FRAMES_PER_MN)
    head = store.archive.head(mn)
    if not received or head is None:
        return None
    first, last = min(f.seq for f in received), max(f.seq for f in received)
    frames = _records(store, mn, first, last)
    tail = _records(store, mn, last + 1, head.seq) if head.seq - last <= MAX_TAIL else []
    return Chain(mn, tuple(frames), tuple(tail), head, _profile(store, mn, profiles))


def _profile(store: Store, mn: str, profiles: Mapping[str, Profile]) -> Profile | None:
    """The terminal's decoding profile; None when it is not registered (its frames made no readings)."""
    terminal = store.registry.find_terminal(mn)
    if terminal is None:
        return None
    return profiles.get(terminal.profile) or profiles.get(DEFAULT_PROFILE_ID)


def _records(store: Store, mn: str, first: int, last: int) -> list[ArchivedFrame]:
    out: list[ArchivedFrame] = []
    seq = first
    while seq <= last:
        page = store.archive.chain(mn, from_seq=seq, limit=min(_PAGE, last - seq + 1))
        if not page:
            break  # a gap: the package's verification reports the missing records
        out += page
        seq = page[-1].seq + 1
    return out


def _photos(store: Store, alarm: Alarm, blobs: PhotoBlobStore | None) -> list[PhotoFile]:
    wanted: list[tuple[str, str]] = []
    if alarm.response is not None:
        wanted += [(pid, "企业响应") for pid in alarm.response.photos]
    if alarm.verification is not None:
        wanted += [(pid, "现场核查") for pid in alarm.verification.photos]
    out: list[PhotoFile] = []
    for photo_id, purpose in dict.fromkeys(wanted):
        try:
            photo = store.photos.get_photo(photo_id)
        except (NotFoundError, InvalidInputError):
            continue
        data: bytes | None = None
        if blobs is not None:
            try:
                data = blobs.get(photo_id)
            except NotFoundError:
                data = None
        out.append(PhotoFile(photo, data, purpose))
    return out


def _trail(store: Store, alarm: Alarm, now: datetime) -> Sequence[AuditRecord]:
    out: list[AuditRecord] = []
    cursor: str | None = None
    since = alarm.created_at - timedelta(days=1)
    until = max(now, alarm.updated_at) + timedelta(days=1)
    for _ in range(20):  # 10,000 records: far more than one alarm's life
        page, cursor = store.audit_trail.query(
            since=since, until=until, object_type="alarm", object_id=alarm.id, limit=500, cursor=cursor
        )
        out += [r for r in page if r.action not in EXPORT_ACTIONS]
        if cursor is None:
            break
    return sorted(out, key=lambda r: (r.at, r.record_id))
