"""Enterprise list (search, filters, cursor paging, scope) and the one-enterprise file (一企一档).

Reads go through the registry port; `visible` is the caller's scope (None = the whole county), and an
enterprise outside it is reported as not found, never as forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitoring.accounts.models import Account, Role
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.photos.models import Photo
from monitoring.registry.models import (
    Association,
    Branch,
    Enterprise,
    EnterpriseCategory,
    Facility,
    InstallStatus,
    MonitoringPoint,
    Town,
    check_id,
)
from monitoring.registry.terminal import Terminal
from monitoring.storage.ports import Store
from monitoring.views import status as status_view
from monitoring.views.paging import Page, bad_cursor, check_limit

MAX_QUERY = 50
_NO_SEQ = 1 << 30  # the registry lists enterprises without a list number last


@dataclass(frozen=True, slots=True)
class EnterpriseFilter:
    """What the list selects; every field optional. `q` is a substring of name, credit code or permit number."""

    q: str = ""
    town_id: str | None = None
    branch_id: str | None = None
    category: EnterpriseCategory | None = None
    install_status: InstallStatus | None = None
    status: str | None = None  # producing / stopped / curtailed / unknown (now)
    exempt: bool | None = None

    def __post_init__(self) -> None:
        if len(self.q) > MAX_QUERY or any(ord(c) < 32 for c in self.q):
            raise InvalidInputError(f"搜索词不能超过 {MAX_QUERY} 个字符，且不能含控制字符")
        for value, what in ((self.town_id, "town_id"), (self.branch_id, "branch_id")):
            if value is not None:
                check_id(value, what)
        if self.status is not None and self.status not in status_view.STATUSES:
            raise InvalidInputError(f"运行状态只能是 {'、'.join(status_view.STATUSES)}")

    def matches(self, e: Enterprise) -> bool:
        needle = self.q.strip().casefold()
        return (
            (not needle or any(needle in text.casefold() for text in (e.name, e.credit_code, e.permit_no)))
            and (self.town_id is None or e.town_id == self.town_id)
            and (self.branch_id is None or e.branch_id == self.branch_id)
            and (self.category is None or e.category is self.category)
            and (self.install_status is None or e.install_status is self.install_status)
            and (self.exempt is None or (e.exemption is not None) == self.exempt)
        )


@dataclass(frozen=True, slots=True)
class EnterpriseRow:
    enterprise: Enterprise
    town: Town | None
    branch: Branch | None
    status: str
    status_at: datetime | None


def _key(e: Enterprise) -> tuple[int, str]:
    return (e.list_seq if e.list_seq is not None else _NO_SEQ, e.enterprise_id)


def _cursor(e: Enterprise) -> str:
    seq, eid = _key(e)
    return f"{seq}|{eid}"


def parse_cursor(cursor: str) -> tuple[int, str]:
    """The sort key a cursor of this list names; InvalidInputError when it is not one."""
    seq, sep, eid = cursor.partition("|")
    if not sep or not seq.isdigit() or len(seq) > 10:
        raise bad_cursor()
    try:
        return int(seq), check_id(eid, "cursor")
    except InvalidInputError:
        raise bad_cursor() from None


def list_enterprises(
    store: Store,
    county_id: str,
    where: EnterpriseFilter,
    *,
    visible: frozenset[str] | None,
    now: datetime,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[EnterpriseRow]:
    """One page of the enterprises the caller may see, in the registry's order (list number, then id)."""
    check_limit(limit)
    reg = store.registry
    found = reg.list_enterprises(county_id, town_id=where.town_id, branch_id=where.branch_id)
    found = [e for e in found if (visible is None or e.enterprise_id in visible) and where.matches(e)]
    if cursor is not None:
        after = parse_cursor(cursor)
        found = [e for e in found if _key(e) > after]
    rows: list[EnterpriseRow] = []
    towns = {t.town_id: t for t in reg.list_towns(county_id)}
    branches = {b.branch_id: b for b in reg.list_branches(county_id)}
    more = False
    # The status filter needs each candidate's status document: read them lazily, only until the page is full.
    for e in found:
        if len(rows) == limit:
            more = True
            break
        status, at = status_view.current_status(store.rule_state, e.enterprise_id, now)
        if where.status is not None and status != where.status:
            continue
        rows.append(EnterpriseRow(e, towns.get(e.town_id), branches.get(e.branch_id), status, at))
    return Page(rows, _cursor(rows[-1].enterprise) if more and rows else None)


def visible_enterprise(store: Store, enterprise_id: str, visible: frozenset[str] | None) -> Enterprise:
    """The enterprise, or NotFoundError when it does not exist or lies outside the caller's scope."""
    check_id(enterprise_id, "enterprise_id")
    if visible is not None and enterprise_id not in visible:
        raise NotFoundError(f"企业 {enterprise_id} 不存在")
    found = store.registry.find_enterprise(enterprise_id)
    if found is None:
        raise NotFoundError(f"企业 {enterprise_id} 不存在")
    return found


@dataclass(frozen=True, slots=True)
class Line:
    """A treatment line (治理线) with its facilities resolved: which control serves which production."""

    association: Association
    control: Facility | None
    production: tuple[Facility, ...]


PHOTOS_IN_FILE = 200  # the newest; older ones through GET /photos?enterprise_id=…


@dataclass(frozen=True, slots=True)
class EnterpriseFile:
    """一企一档: the enterprise and everything registered under it."""

    row: EnterpriseRow
    facilities: tuple[Facility, ...]
    points: tuple[MonitoringPoint, ...]
    lines: tuple[Line, ...]
    terminals: tuple[Terminal, ...]
    installers: tuple[Account, ...]  # enabled installer accounts assigned to it or to one of its terminals
    photos: tuple[Photo, ...] = ()  # its photos, newest first (up to PHOTOS_IN_FILE)


def enterprise_file(
    store: Store, enterprise_id: str, *, visible: frozenset[str] | None, now: datetime
) -> EnterpriseFile:
    """The enterprise's file; terminals are those bound to its points (a terminal serves one enterprise)."""
    e = visible_enterprise(store, enterprise_id, visible)
    reg = store.registry
    facilities = reg.list_facilities(e.enterprise_id)
    by_id = {f.facility_id: f for f in facilities}
    points = reg.list_points(e.enterprise_id)
    lines = tuple(
        Line(a, by_id.get(a.control_facility_id), tuple(by_id[f] for f in a.production_facility_ids if f in by_id))
        for a in reg.list_associations(e.enterprise_id)
    )
    terminals = [reg.find_terminal(mn) for mn in sorted({p.mn for p in points if p.mn})]
    status, at = status_view.current_status(store.rule_state, e.enterprise_id, now)
    mns = {t.mn for t in terminals if t is not None}
    installers = tuple(
        a
        for a in store.accounts.list_accounts(e.county_id, role=Role.INSTALLER)
        if not a.disabled and (e.enterprise_id in a.enterprise_ids or mns.intersection(a.terminal_mns))
    )
    town = next((t for t in reg.list_towns(e.county_id) if t.town_id == e.town_id), None)
    branch = next((b for b in reg.list_branches(e.county_id) if b.branch_id == e.branch_id), None)
    return EnterpriseFile(
        EnterpriseRow(e, town, branch, status, at),
        tuple(facilities),
        tuple(points),
        lines,
        tuple(t for t in terminals if t is not None),
        installers,
        tuple(store.photos.photos_for(e.enterprise_id, limit=PHOTOS_IN_FILE)),
    )
