"""Registry logic over a tiny versioned document store.

Adapters implement three primitives on documents identified by (kind, key):
`_get_doc`, `_put_doc` (conditional on version) and `_query_docs` (by one of the kind's INDEXES). Everything
else — typed records, optimistic concurrency, uniqueness checks, monotonic terminal state — lives here.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, TypeVar

from monitoring._time import require_utc
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.registry.changes import ChangeMark
from monitoring.registry.liveness import LIVENESS_SHEETS, LivenessSheet, liveness_sheet, seen_later
from monitoring.registry.models import (
    Association,
    Branch,
    County,
    Enterprise,
    Facility,
    MonitoringPoint,
    PointStatus,
    Town,
)
from monitoring.registry.terminal import GpsFix, Terminal
from monitoring.storage import codec

log = logging.getLogger(__name__)
R = TypeVar("R")
_RETRIES = 8

# kind → the index names an adapter must answer `_query_docs` for (at most three per kind).
INDEXES: Mapping[str, tuple[str, ...]] = {
    "county": ("all",),
    "town": ("county",),
    "branch": ("county",),
    "enterprise": ("county", "town", "branch"),
    "facility": ("enterprise",),
    "point": ("enterprise", "mn", "code"),
    "association": ("enterprise",),
    "terminal": ("county", "enterprise"),
    "liveness": (),  # keyed "<county>#<sheet>": a county's sheets are read by key (monitoring.registry.liveness)
}


class RegistryRepositoryBase(ABC):
    """Implements `RegistryRepository` on top of the document primitives."""

    # Terminals are read with their liveness sheet's later time; a component with no use for last-frame times turns
    # this off (the listener authenticates: its task role may not read the sheets, infra/data_grants.py LISTENER)
    show_liveness = True

    # ---- primitives ---------------------------------------------------------------------------------
    @abstractmethod
    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        """The stored body (as written by `_put_doc`) or None."""

    @abstractmethod
    def _put_doc(
        self, kind: str, key: str, body: dict[str, Any], index: Mapping[str, str], *, expected_version: int | None
    ) -> None:
        """Write `body` (its "version" field is the new version). expected_version None: unconditional;
        0: the key must not exist; n: the stored body's version must be n. Otherwise raise ConflictError.
        `index` maps index names (from INDEXES[kind]) to values; a missing name means "not indexed"."""

    @abstractmethod
    def _query_docs(self, kind: str, index: str, value: str) -> list[dict[str, Any]]:
        """Every body of `kind` whose `index` equals `value` (any order)."""

    def _get_docs(self, kind: str, keys: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        """(key, stored body) of those `keys` that exist (any order); a body that is not a JSON object is logged and
        left out. Adapters may read them in one request and eventually consistent: only liveness sheets are read
        this way."""
        out = []
        for key in keys:
            try:
                body = self._get_doc(kind, key)
            except (ValueError, TypeError) as exc:
                log.error("registry document unreadable; ignored", extra={"fields": {"key": key, "error": str(exc)}})
                continue
            if body is not None:
                out.append((key, body))
        return out

    def registry_changes(self) -> ChangeMark | None:
        """The change mark (monitoring.registry.changes); None: this store keeps none."""
        return None

    def _note_changes(self, mns: Iterable[str]) -> None:
        """Bump the mark of each MN's bucket after a write that changes what decode caches (terminals, points);
        adapters that keep a mark override it. Never called for decode's own terminal-state writes."""
        del mns

    def batch(self) -> AbstractContextManager[object]:
        """Group the writes made inside into one atomic unit where the backend can (sqlite: one transaction;
        elsewhere each write stays individually atomic). Importers use it so a failure leaves nothing half-done."""
        return nullcontext()

    # ---- shared helpers -----------------------------------------------------------------------------
    def _get(self, cls: type[R], kind: str, key: str, what: str) -> R:
        found = self._find(cls, kind, key)
        if found is None:
            raise NotFoundError(f"{what} {key!r} not found")
        return found

    def _find(self, cls: type[R], kind: str, key: str) -> R | None:
        """The typed record (adapters may override this and `_query` to reuse decoded records)."""
        body = self._get_doc(kind, key)
        return None if body is None else codec.from_data(cls, body)

    def _query(self, cls: type[R], kind: str, index: str, value: str) -> list[R]:
        return [codec.from_data(cls, body) for body in self._query_docs(kind, index, value)]

    def _put_versioned(self, kind: str, key: str, record: R, index: Mapping[str, str]) -> R:
        current: int = getattr(record, "version")  # noqa: B009 - every versioned record has it
        stored = dataclasses.replace(record, version=current + 1)  # type: ignore[type-var]
        self._put_doc(kind, key, codec.to_data(stored), index, expected_version=current)
        return stored

    # ---- jurisdictions (unversioned: upsert is idempotent) ------------------------------------------
    def put_county(self, county: County) -> None:
        self._put_doc("county", county.county_id, codec.to_data(county), {"all": "county"}, expected_version=None)

    def get_county(self, county_id: str) -> County:
        return self._get(County, "county", county_id, "county")

    def list_counties(self) -> list[County]:
        return sorted(self._query(County, "county", "all", "county"), key=lambda c: c.county_id)

    def put_town(self, town: Town) -> None:
        self._put_doc("town", town.town_id, codec.to_data(town), {"county": town.county_id}, expected_version=None)

    def get_town(self, town_id: str) -> Town:
        return self._get(Town, "town", town_id, "town")

    def list_towns(self, county_id: str) -> list[Town]:
        return sorted(self._query(Town, "town", "county", county_id), key=lambda t: t.town_id)

    def put_branch(self, branch: Branch) -> None:
        index = {"county": branch.county_id}
        self._put_doc("branch", branch.branch_id, codec.to_data(branch), index, expected_version=None)

    def get_branch(self, branch_id: str) -> Branch:
        return self._get(Branch, "branch", branch_id, "branch")

    def list_branches(self, county_id: str) -> list[Branch]:
        return sorted(self._query(Branch, "branch", "county", county_id), key=lambda b: b.branch_id)

    # ---- enterprises, facilities, associations ------------------------------------------------------
    def put_enterprise(self, enterprise: Enterprise) -> Enterprise:
        index = {"county": enterprise.county_id, "town": enterprise.town_id, "branch": enterprise.branch_id}
        return self._put_versioned("enterprise", enterprise.enterprise_id, enterprise, index)

    def get_enterprise(self, enterprise_id: str) -> Enterprise:
        return self._get(Enterprise, "enterprise", enterprise_id, "enterprise")

    def find_enterprise(self, enterprise_id: str) -> Enterprise | None:
        return self._find(Enterprise, "enterprise", enterprise_id)

    def list_enterprises(
        self, county_id: str, *, town_id: str | None = None, branch_id: str | None = None
    ) -> list[Enterprise]:
        if town_id is not None:
            found = self._query(Enterprise, "enterprise", "town", town_id)
        elif branch_id is not None:
            found = self._query(Enterprise, "enterprise", "branch", branch_id)
        else:
            found = self._query(Enterprise, "enterprise", "county", county_id)
        found = [e for e in found if e.county_id == county_id and (branch_id is None or e.branch_id == branch_id)]
        return sorted(found, key=lambda e: (e.list_seq if e.list_seq is not None else 1 << 30, e.enterprise_id))

    def put_facility(self, facility: Facility) -> Facility:
        return self._put_versioned("facility", facility.facility_id, facility, {"enterprise": facility.enterprise_id})

    def get_facility(self, facility_id: str) -> Facility:
        return self._get(Facility, "facility", facility_id, "facility")

    def list_facilities(self, enterprise_id: str) -> list[Facility]:
        return sorted(self._query(Facility, "facility", "enterprise", enterprise_id), key=lambda f: f.code)

    def put_association(self, association: Association) -> Association:
        index = {"enterprise": association.enterprise_id}
        return self._put_versioned("association", association.association_id, association, index)

    def get_association(self, association_id: str) -> Association:
        return self._get(Association, "association", association_id, "association")

    def list_associations(self, enterprise_id: str) -> list[Association]:
        found = self._query(Association, "association", "enterprise", enterprise_id)
        return sorted(found, key=lambda a: a.association_id)

    # ---- points -------------------------------------------------------------------------------------
    def put_point(self, point: MonitoringPoint) -> MonitoringPoint:
        # Best-effort uniqueness (registry writes are rare and human-paced): one point per provincial code,
        # and one active point per (MN, channel), else decode could not tell where a value belongs.
        for other in self.find_points_by_code(point.point_code):
            if other.point_id != point.point_id:
                raise ConflictError(f"点位编码 {point.point_code} 已被点位 {other.point_id} 使用")
        if point.mn is not None and point.status is not PointStatus.DISABLED:
            for other in self.points_for_mn(point.mn):
                if (
                    other.point_id != point.point_id
                    and other.channel == point.channel
                    and other.status is not PointStatus.DISABLED
                ):
                    raise ConflictError(f"终端 {point.mn} 通道 {point.channel!r} 已绑定点位 {other.point_id}")
        index = {"enterprise": point.enterprise_id, "code": point.point_code}
        if point.mn is not None:
            index["mn"] = point.mn
        before = self._find(MonitoringPoint, "point", point.point_id)  # a re-bind changes the old MN's points too
        stored = self._put_versioned("point", point.point_id, point, index)
        self._note_changes({mn for mn in (point.mn, before.mn if before else None) if mn})
        return stored

    def get_point(self, point_id: str) -> MonitoringPoint:
        return self._get(MonitoringPoint, "point", point_id, "point")

    def list_points(self, enterprise_id: str) -> list[MonitoringPoint]:
        return sorted(self._query(MonitoringPoint, "point", "enterprise", enterprise_id), key=lambda p: p.point_id)

    def points_for_mn(self, mn: str) -> list[MonitoringPoint]:
        return sorted(self._query(MonitoringPoint, "point", "mn", mn), key=lambda p: (p.channel, p.point_id))

    def find_points_by_code(self, point_code: str) -> list[MonitoringPoint]:
        return self._query(MonitoringPoint, "point", "code", point_code)

    # ---- terminals ----------------------------------------------------------------------------------
    def put_terminal(self, terminal: Terminal) -> Terminal:
        stored = self._put_versioned("terminal", terminal.mn, terminal, _terminal_index(terminal))
        self._note_changes((terminal.mn,))
        return stored

    def get_terminal(self, mn: str) -> Terminal:
        return self._shown(self._get(Terminal, "terminal", mn, "terminal"))

    def find_terminal(self, mn: str) -> Terminal | None:
        found = self._find(Terminal, "terminal", mn)
        return None if found is None else self._shown(found)

    def list_terminals(self, county_id: str) -> list[Terminal]:
        seen = self.terminal_liveness(county_id) if self.show_liveness else {}
        terminals = self._query(Terminal, "terminal", "county", county_id)
        return sorted((seen_later(t, seen.get(t.mn)) for t in terminals), key=lambda t: t.mn)

    def _shown(self, terminal: Terminal) -> Terminal:
        """The stored item with its liveness sheet's later frame time, if any."""
        if not self.show_liveness:
            return terminal
        key = f"{terminal.county_id}#{liveness_sheet(terminal.mn)}"
        sheets = self._liveness_sheets([key])
        return seen_later(terminal, sheets[0].time_of(terminal.mn) if sheets else None)

    def _liveness_sheets(self, keys: list[str]) -> list[LivenessSheet]:
        """The stored sheets of `keys`; a malformed one is logged and read as absent (the items still show their
        terminals), so one bad document cannot take a county's terminal lists down."""
        sheets = []
        for key, body in self._get_docs("liveness", keys):
            try:
                sheets.append(LivenessSheet.from_body(body, key))
            except InvalidInputError as exc:
                log.error("liveness sheet unreadable; ignored", extra={"fields": {"key": key, "error": str(exc)}})
        return sheets

    # ---- liveness sheets (monitoring.registry.liveness) ---------------------------------------------
    def terminal_liveness(self, county_id: str) -> dict[str, datetime]:
        """MN → last frame time as the county's liveness sheets hold it (terminals never sheeted are absent)."""
        seen: dict[str, datetime] = {}
        for sheet in self._liveness_sheets([f"{county_id}#{sheet}" for sheet in range(LIVENESS_SHEETS)]):
            seen.update(sheet.times())
        return seen

    def record_terminal_seen(
        self,
        mn: str,
        at: datetime,
        *,
        peer: str = "",
        clock_skew_s: float | None = None,
        gps: GpsFix | None = None,
        known: Terminal | None = None,
    ) -> Terminal:
        """Mark a frame received at `at`. State only moves forward: an older `at` (a late batch) changes nothing
        except a GPS fix newer than the stored one. `known`: the terminal as the caller last read or wrote it
        (decode's cache); the first attempt writes on its version without reading, a stale one re-reads."""
        at = require_utc(at, "seen at")
        for attempt in range(_RETRIES):
            terminal = known if attempt == 0 and known is not None and known.mn == mn else self.get_terminal(mn)
            newer_gps = gps is not None and (terminal.gps is None or gps.at > terminal.gps.at)
            if terminal.last_frame_at is not None and at <= terminal.last_frame_at:
                if not newer_gps:
                    return terminal
                changes: dict[str, Any] = {"gps": gps}
            else:
                changes = {
                    "online": True,
                    "last_frame_at": at,
                    "last_peer": peer or terminal.last_peer,
                    "clock_skew_s": terminal.clock_skew_s if clock_skew_s is None else clock_skew_s,
                    "gps": gps if newer_gps else terminal.gps,
                }
            # put_terminal's own steps with the version bumped in the same copy (decode calls this once per
            # terminal and minute: one record built and validated instead of two)
            stored = dataclasses.replace(terminal, version=terminal.version + 1, **changes)
            try:
                self._put_doc(
                    "terminal", mn, codec.to_data(stored), _terminal_index(stored), expected_version=terminal.version
                )
                return stored
            except ConflictError:
                continue  # another writer updated it; re-read and re-apply
        raise ConflictError(f"terminal {mn}: too much contention recording state")

    def record_terminals_alive(
        self,
        county_id: str,
        seen: Mapping[str, datetime],
        *,
        now: datetime,
        known: Mapping[int, LivenessSheet] | None = None,
    ) -> list[LivenessSheet]:
        """Take later last-frame times into the county's sheets (only forward, like `record_terminal_seen`; times
        too far from the writer's `now` are dropped: `LivenessSheet.merged`): one conditional write per sheet that
        changes, none for one that does not. `known`: sheets as the caller last wrote them, written on without
        reading (a stale one re-reads). A malformed stored sheet is logged and written afresh (it holds nothing
        readable; the items still hold their own times). Returns the sheets written, as stored."""
        now = require_utc(now, "now")
        by_sheet: dict[int, dict[str, datetime]] = {}
        for mn, at in seen.items():
            by_sheet.setdefault(liveness_sheet(mn), {})[mn] = require_utc(at, "seen at")
        written = []
        for sheet, times in sorted(by_sheet.items()):
            stored = self._merge_sheet(county_id, sheet, times, now, (known or {}).get(sheet))
            if stored is not None:
                written.append(stored)
        return written

    def _merge_sheet(
        self, county_id: str, sheet: int, times: Mapping[str, datetime], now: datetime, known: LivenessSheet | None
    ) -> LivenessSheet | None:
        key = f"{county_id}#{sheet}"
        for attempt in range(_RETRIES):
            afresh = False
            if attempt or known is None or known.key != key:
                known, afresh = self._stored_sheet(county_id, sheet)
            merged = known.merged(times, now)
            if merged is known and not afresh:
                return None  # nothing later than stored
            try:
                expected = None if afresh else known.version  # a malformed sheet: overwritten whatever it holds
                self._put_doc("liveness", key, merged.body(), {}, expected_version=expected)
                return merged
            except ConflictError:
                continue  # another writer moved the sheet on; re-read and merge again
        raise ConflictError(f"liveness sheet {key}: too much contention")

    def _stored_sheet(self, county_id: str, sheet: int) -> tuple[LivenessSheet, bool]:
        """The stored sheet read consistently (an empty one if none), and whether it was malformed."""
        key, body = f"{county_id}#{sheet}", None
        try:
            body = self._get_doc("liveness", key)
            return (LivenessSheet(county_id, sheet) if body is None else LivenessSheet.from_body(body, key)), False
        except (InvalidInputError, ValueError, TypeError) as exc:
            log.error("liveness sheet malformed; written afresh", extra={"fields": {"key": key, "error": str(exc)}})
            version = (body or {}).get("version")
            kept = version if isinstance(version, int) and not isinstance(version, bool) and version > 0 else 0
            return LivenessSheet(county_id, sheet, {}, kept), True  # versions keep counting up where readable

    def set_terminal_offline(self, mn: str, at: datetime) -> Terminal:
        """Mark offline unless a frame newer than `at` has arrived since (then the disconnect is stale)."""
        at = require_utc(at, "offline at")
        for _ in range(_RETRIES):
            terminal = self.get_terminal(mn)  # with its sheet's time, which the item then keeps: no stale revival
            if not terminal.online or (terminal.last_frame_at is not None and terminal.last_frame_at > at):
                return terminal
            try:
                return self.put_terminal(dataclasses.replace(terminal, online=False))
            except ConflictError:
                continue
        raise ConflictError(f"terminal {mn}: too much contention recording state")


def decoded_bodies(stored: Iterable[tuple[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    """(key, JSON text) → (key, body) for the adapters' `_get_docs`; a text that is not a JSON object is logged and
    left out (the registry's own writes are JSON objects: anything else was written by someone else)."""
    out = []
    for key, text in stored:
        try:
            body = json.loads(text)
        except ValueError as exc:
            body, error = None, str(exc)
        else:
            error = "not a JSON object"
        if isinstance(body, dict):
            out.append((key, body))
        else:
            log.error("registry document unreadable; ignored", extra={"fields": {"key": key, "error": error}})
    return out


def _terminal_index(terminal: Terminal) -> dict[str, str]:
    index = {"county": terminal.county_id}
    if terminal.enterprise_id is not None:
        index["enterprise"] = terminal.enterprise_id
    return index
