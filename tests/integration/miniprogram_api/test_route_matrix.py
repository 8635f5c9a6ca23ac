"""The role × route matrix (issue 14): ONE table, every route × every role, in scope and out of scope, over HTTP.

A route without a row fails `test_every_route_has_a_row`; add yours in your area's section (docs/api.md).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from miniprogram_api.app import app
from miniprogram_api.chalicelib.framework import ROUTES, RouteSpec
from monitoring.accounts.models import Role
from monitoring.alarms.models import Alarm, AlarmState, Episode
from tests.integration.miniprogram_api import world_campaign as campaign
from tests.integration.miniprogram_api.conftest import Api
from tests.integration.miniprogram_api.field_world import bind_point_id

Expect = tuple[int, int | None]  # (status in scope, status out of scope); None: the route has no scope
# A body, or a function making one per call (a fresh name, the object's current version): of (api, role, scope)
# or of (role, scope), scope being "in" or "out".
Body = Callable[..., Any] | Mapping[str, Any] | None
_counter = itertools.count()


# Per call, a fresh object for this role and scope at its current version: (path ids, body) of (api, role, scope).
Fresh = Callable[[Api, Role, str], tuple[dict[str, str], Any]]


@dataclass(frozen=True)
class Row:
    expect: dict[Role, Expect]
    body: Body = None
    query: Mapping[str, Any] = field(default_factory=dict)
    fresh: Fresh | None = None
    # A list row: (the world id name, the item field). The inside object must be listed for every role answered 200;
    # the outside one for the county-wide roles only, never for a scoped role.
    listed: tuple[str, str] | None = None


def row(
    default: int | Expect,
    *,
    body: Body = None,
    query: Mapping[str, Any] | None = None,
    fresh: Fresh | None = None,
    listed: tuple[str, str] | None = None,
    **roles: int | Expect,
) -> Row:
    """Expected statuses: `default` for every role, keyword per role (admin=200 or admin=(200, 404))."""

    def pair(value: int | Expect) -> Expect:
        return (value, None) if isinstance(value, int) else value

    unknown = set(roles) - {r.value for r in Role}
    assert not unknown, f"unknown roles in a matrix row: {unknown}"
    return Row({r: pair(roles.get(r.value, default)) for r in Role}, body, query or {}, fresh, listed)


COUNTY_WIDE = frozenset({Role.ADMIN, Role.AIR, Role.EMERGENCY, Role.VIEWER})


def _fresh_alarm(state: AlarmState, **body: Any) -> Fresh:
    """A new alarm of the scope's enterprise in `state` (its own subject: only the latest of a subject may be
    open), and the transition's body at its current version: allowed roles change it (200), others are refused."""

    def make(api: Api, role: Role, scope: str) -> tuple[dict[str, str], Any]:
        n = next(_counter)
        enterprise = api.store.registry.get_enterprise(f"ent-{scope}")
        now = datetime.now(UTC)
        created = now - timedelta(minutes=30)
        episode = Episode(created - timedelta(minutes=10), None, {}, {})
        alarm = Alarm(
            f"alarm-m{n}-{role.value}-{scope}", "control_stopped", f"matrix-{n}", enterprise.enterprise_id, "high",
            state, (episode,), created, created,
            dispatched_to=enterprise.branch_id if state in (AlarmState.DISPATCHED, AlarmState.VERIFIED) else None,
            dispatched_at=created if state in (AlarmState.DISPATCHED, AlarmState.VERIFIED) else None,
            closed_at=created if state is AlarmState.CLOSED else None,
        )  # fmt: skip
        stored = api.store.alarms.put(alarm, expected_version=None)
        return {"alarm_id": stored.id}, {"version": stored.version, **body}

    return make


def _new_account(api: Api, role: Role, scope: str) -> dict[str, Any]:
    return {"username": f"m{next(_counter)}_{role.value}", "display_name": "矩阵新建", "role": "viewer"}


_ALL: Expect = (200, 200)  # the county-wide roles see every enterprise: "out of scope" is still in theirs


def _enterprise_version(api: Api, scope: str) -> int:
    ids = api.world.inside if scope == "in" else api.world.outside
    return int(api.store.registry.get_enterprise(ids["enterprise_id"]).version)


def _enterprise_edit(api: Api, role: Role, scope: str) -> dict[str, Any]:
    return {"version": _enterprise_version(api, scope), "industry": f"矩阵行业{next(_counter)}"}


def _enterprise_contacts(api: Api, role: Role, scope: str) -> dict[str, Any]:
    contact = {"name": f"联系人{next(_counter)}", "role": "other", "phone": "13800000000"}
    return {"version": _enterprise_version(api, scope), "contacts": [contact]}


# routes-field: roles whose scope is a part of the county see the inside object and not the outside one
SCOPED_404: dict[str, Expect] = {r: (200, 404) for r in ("branch", "town", "enterprise", "installer")}
_UPLOADERS = ("admin", "air", "branch", "enterprise", "installer")


def _binding(api: Api, role: Role, scope: str) -> dict[str, Any]:
    # a free point of the terminal's enterprise per role and scope (field_world.py), at its current version
    point_id = bind_point_id(role, scope)
    version = api.store.registry.get_point(point_id).version
    return {"point_id": point_id, "point_version": version, "channel": f"{list(Role).index(role) + 10:02d}"}


def _current_version(api: Api, role: Role, scope: str) -> dict[str, Any]:
    ids = api.world.inside if scope == "in" else api.world.outside
    account = api.store.accounts.get_account(ids["account_id"])
    return {"version": account.version, "display_name": f"矩阵修改{next(_counter)}"}


# ---- routes-alarms helpers ------------------------------------------------------------------------------------
_COUNTY_SEE: dict[str, Expect] = {r: (200, 200) for r in ("admin", "air", "emergency", "viewer")}


def _at(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def _fault_body(role: Role, scope: str) -> dict[str, Any]:
    return {
        "enterprise_id": f"ent-{scope}",
        "kind": "monitoring",
        "point_ids": [f"ra-p-{scope}"],
        "fault_start": _at(-30),
        "description": "终端断电",
    }


def _resolve_body(role: Role, scope: str) -> dict[str, Any]:
    return {"resolved_at": _at(-1)}


def _stoppage_body(role: Role, scope: str) -> dict[str, Any]:
    return {
        "enterprise_id": f"ent-{scope}",
        "kind": "control_stop",
        "point_ids": [f"ra-cp-{scope}"],
        "start": _at(60 * 24),
        "end": _at(60 * 48),
        "reason": "检修",
    }


def _alert_body(role: Role, scope: str) -> dict[str, Any]:
    return {"level": "yellow", "start": _at(60), "end": _at(600), "alert_id": f"YJ-M{next(_counter)}"}


def _measures_body(role: Role, scope: str) -> dict[str, Any]:
    return {"orange": {"stop_points": [f"ra-p-{scope}"], "forbidden_hours": [[8, 12]]}}


# ---- maintenance duties helpers ---------------------------------------------------------------------------------
def _inspection_body(api: Api, role: Role, scope: str) -> dict[str, Any]:
    from monitoring.maintenance.checklist import checklist

    return {"checklist": {key: True for key in checklist()}, "text": "矩阵巡检"}


def _fresh_repair(api: Api, role: Role, scope: str) -> tuple[dict[str, str], Any]:
    """A new terminal_offline alarm of the scope's enterprise: its repair obligation, and a repair's body."""
    n = next(_counter)
    created = datetime.now(UTC) - timedelta(hours=2)
    alarm = Alarm(
        f"alarm-rep{n}-{role.value}-{scope}", "terminal_offline", f"matrix-rep-{n}", f"ent-{scope}", "medium",
        AlarmState.PENDING, (Episode(created - timedelta(minutes=10), None, {}, {}),), created, created,
    )  # fmt: skip
    stored = api.store.alarms.put(alarm, expected_version=None)
    return {"obligation_id": f"alarm:{stored.id}"}, {"text": "更换电源模块", "parts": ["电源模块"]}


def _fresh_provider(api: Api, role: Role, scope: str) -> tuple[dict[str, str], Any]:
    from monitoring.maintenance.models import ServiceProvider

    installer = api.world.accounts[Role.INSTALLER].id
    provider = ServiceProvider(f"ent-{scope}", "矩阵运维公司", (installer,), "matrix", datetime.now(UTC))
    api.store.maintenance.put_provider(provider)
    return {"enterprise_id": f"ent-{scope}"}, None


def _provider_body(api: Api, role: Role, scope: str) -> dict[str, Any]:
    return {"name": f"运维公司{next(_counter)}", "account_ids": [api.world.accounts[Role.INSTALLER].id]}


MATRIX: dict[tuple[str, str], Row] = {
    # ---- meta, auth, me, accounts (api-core) ---------------------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): row(200),
    ("GET", "/api/v1/health"): row(200),
    ("POST", "/api/v1/auth/login"): row(401, body={"login": "nobody_here", "password": "wrong-password"}),
    ("POST", "/api/v1/auth/refresh"): row(401, body={"refresh_token": "x" * 43}),
    ("POST", "/api/v1/auth/logout"): row(204, body={"refresh_token": "y" * 43}),
    ("GET", "/api/v1/me"): row(200),
    ("POST", "/api/v1/me/password"): row(422, body={"old_password": "not-my-password", "new_password": "x" * 12}),
    ("GET", "/api/v1/accounts"): row(403, admin=200),
    ("GET", "/api/v1/accounts/{account_id}"): row((403, 403), admin=(200, 404)),
    ("POST", "/api/v1/accounts"): row(403, admin=201, body=_new_account),
    ("POST", "/api/v1/accounts/{account_id}/disable"): row((403, 403), admin=(200, 404)),
    ("POST", "/api/v1/accounts/{account_id}/enable"): row((403, 403), admin=(200, 404)),
    ("POST", "/api/v1/accounts/{account_id}/invite"): row((403, 403), admin=(201, 404)),
    ("PATCH", "/api/v1/accounts/{account_id}"): row((403, 403), admin=(200, 404), body=_current_version),
    ("POST", "/api/v1/accounts/{account_id}/unbind-wechat"): row((403, 403), admin=(200, 404)),
    ("POST", "/api/v1/auth/wechat"): row(401, body={"code": "never-issued"}),
    ("POST", "/api/v1/auth/wechat/bind-invitation"): row(
        401, body={"binding_ticket": "t" * 40, "invitation_code": "ABCD"}
    ),
    ("POST", "/api/v1/auth/wechat/sms-code"): row(401, body={"binding_ticket": "t" * 40, "phone": "13800000000"}),
    ("POST", "/api/v1/auth/wechat/bind-phone"): row(
        401, body={"binding_ticket": "t" * 40, "phone": "13800000000", "sms_code": "123456"}
    ),
    ("POST", "/api/v1/accounts/{account_id}/password"): row(
        (403, 403), admin=(200, 404), body={"password": "Reset-Passw0rd"}
    ),
    # ---- alarms, fault reports, stoppage requests, emergency (routes-alarms) -------------------------------------
    # Transitions: each call gets a fresh alarm of the scope's enterprise in the state the transition starts from,
    # at its current version: allowed roles change it (200), refused roles get 403 (policy) or 409 (the domain's
    # own rule, e.g. only the enterprise's side responds), out of scope 404. The stale-version 409 is its own row.
    ("GET", "/api/v1/alarms"): row(200, listed=("alarm_id", "id")),
    ("GET", "/api/v1/alarms/{alarm_id}"): row((200, 404), **_COUNTY_SEE),
    ("POST", "/api/v1/alarms/{alarm_id}/respond"): row(
        (403, 403),
        admin=(409, 409),  # the domain: only the enterprise's side responds
        enterprise=(200, 404),
        installer=(200, 404),
        fresh=_fresh_alarm(AlarmState.PENDING, cause="other", text="矩阵"),
    ),
    ("POST", "/api/v1/alarms/{alarm_id}/dispatch"): row(
        (403, 403),
        admin=(200, 200),
        air=(200, 200),
        emergency=(200, 200),
        branch=(200, 404),
        fresh=_fresh_alarm(AlarmState.RESPONDED),
    ),
    ("POST", "/api/v1/alarms/{alarm_id}/verify"): row(
        (403, 403),
        admin=(409, 409),  # the domain: only a branch records its verification
        branch=(200, 404),
        fresh=_fresh_alarm(AlarmState.DISPATCHED, result="属实"),
    ),
    ("POST", "/api/v1/alarms/{alarm_id}/close"): row(
        (403, 403), admin=(200, 200), air=(200, 200), branch=(200, 404), fresh=_fresh_alarm(AlarmState.VERIFIED)
    ),
    ("POST", "/api/v1/alarms/{alarm_id}/reopen"): row(
        (403, 403),
        admin=(200, 200),
        air=(200, 200),
        branch=(200, 404),
        fresh=_fresh_alarm(AlarmState.CLOSED, reason="复查"),
    ),
    ("GET", "/api/v1/fault-reports"): row(200, listed=("report_id", "id")),
    ("POST", "/api/v1/fault-reports"): row(
        (403, 403), admin=(201, 201), enterprise=(201, 404), installer=(201, 404), body=_fault_body
    ),
    ("GET", "/api/v1/fault-reports/{report_id}"): row((200, 404), **_COUNTY_SEE),
    ("POST", "/api/v1/fault-reports/{report_id}/acknowledge"): row(
        (403, 403), admin=(200, 200), air=(409, 409), branch=(409, 404)
    ),
    ("POST", "/api/v1/fault-reports/{report_id}/resolve"): row(
        (403, 403),
        admin=(200, 200),
        air=(409, 409),
        branch=(409, 404),
        enterprise=(409, 404),
        installer=(409, 404),
        body=_resolve_body,
    ),
    ("GET", "/api/v1/stoppage-requests"): row(200, listed=("request_id", "id")),
    ("POST", "/api/v1/stoppage-requests"): row(
        (403, 403), admin=(201, 201), enterprise=(201, 404), installer=(201, 404), body=_stoppage_body
    ),
    ("GET", "/api/v1/stoppage-requests/{request_id}"): row((200, 404), **_COUNTY_SEE),
    ("POST", "/api/v1/stoppage-requests/{request_id}/decision"): row(
        (403, 403), admin=(200, 200), air=(409, 409), branch=(409, 404), body={"approve": True, "note": "同意"}
    ),
    ("GET", "/api/v1/emergency/alerts"): row(200),
    ("POST", "/api/v1/emergency/alerts"): row(403, admin=201, emergency=201, body=_alert_body),
    ("POST", "/api/v1/emergency/alerts/{alert_id}/end"): row(403, admin=200, emergency=200, body={}),
    ("GET", "/api/v1/emergency/alerts/{alert_id}/compliance"): row(200, installer=403),
    ("GET", "/api/v1/emergency/alerts/{alert_id}/compliance.xlsx"): row(200, installer=403),
    ("GET", "/api/v1/enterprises/{enterprise_id}/measures"): row((200, 404), **_COUNTY_SEE),
    ("PUT", "/api/v1/enterprises/{enterprise_id}/measures"): row(
        (403, 403), admin=(200, 200), emergency=(200, 200), body=_measures_body
    ),
    # ---- enterprises, readings, dashboard, audit log (routes-registry) -------------------------------------------
    ("GET", "/api/v1/enterprises"): row(200, listed=("enterprise_id", "enterprise_id")),
    ("GET", "/api/v1/enterprises/{enterprise_id}"): row((200, 404), admin=_ALL, air=_ALL, emergency=_ALL, viewer=_ALL),
    ("PATCH", "/api/v1/enterprises/{enterprise_id}"): row((403, 403), admin=_ALL, air=_ALL, body=_enterprise_edit),
    ("PUT", "/api/v1/enterprises/{enterprise_id}/contacts"): row(
        (403, 403), admin=_ALL, air=_ALL, enterprise=(200, 404), body=_enterprise_contacts
    ),
    ("GET", "/api/v1/enterprises/{enterprise_id}/energy/daily"): row(
        (200, 404), admin=_ALL, air=_ALL, emergency=_ALL, viewer=_ALL
    ),
    ("GET", "/api/v1/enterprises/{enterprise_id}/timeline"): row(
        (200, 404), admin=_ALL, air=_ALL, emergency=_ALL, viewer=_ALL
    ),
    ("GET", "/api/v1/points/{point_id}/latest"): row((200, 404), admin=_ALL, air=_ALL, emergency=_ALL, viewer=_ALL),
    ("GET", "/api/v1/points/{point_id}/series"): row(
        (200, 404),
        query={"start": "2026-11-30T08:00:00+08:00", "end": "2026-11-30T20:00:00+08:00"},
        admin=_ALL,
        air=_ALL,
        emergency=_ALL,
        viewer=_ALL,
    ),
    ("GET", "/api/v1/dashboard/summary"): row(200),
    ("GET", "/api/v1/audit"): row(403, admin=200, air=200),
    # ---- terminals, photos (routes-field) -------------------------------------------------------------------------
    ("GET", "/api/v1/terminals"): row(200, listed=("mn", "mn")),
    ("GET", "/api/v1/terminals/{mn}"): row((200, 200), **SCOPED_404),
    ("GET", "/api/v1/unregistered-terminals"): row(403, admin=200, air=200, installer=200),
    ("POST", "/api/v1/terminals/{mn}/binding"): row((403, 403), admin=(200, 200), installer=(200, 404), body=_binding),
    ("GET", "/api/v1/terminals/{mn}/commands"): row((200, 200), **SCOPED_404),
    ("POST", "/api/v1/terminals/{mn}/commands"): row(
        (403, 403), admin=(201, 201), installer=(201, 404), body={"kind": "get_time"}
    ),
    ("GET", "/api/v1/commands/{command_id}"): row((200, 200), **SCOPED_404),
    ("GET", "/api/v1/terminals/{mn}/commissioning"): row((200, 200), **SCOPED_404),
    ("POST", "/api/v1/terminals/{mn}/commissioning"): row(
        (403, 403), admin=(201, 201), installer=(201, 404), body={"text": "矩阵测试"}
    ),
    ("GET", "/api/v1/enterprises/{enterprise_id}/maintenance-log"): row((200, 404), **_COUNTY_SEE),
    ("POST", "/api/v1/enterprises/{enterprise_id}/maintenance-log"): row(
        (403, 403), admin=(201, 201), installer=(201, 404), body={"kind": "inspection", "items": ["接线紧固"]}
    ),
    # ---- maintenance duties (issue 19, 二.4): inspections, repairs, service providers ------------------------------
    ("GET", "/api/v1/maintenance/checklist"): row(200),
    ("GET", "/api/v1/maintenance/inspections"): row(200),
    ("GET", "/api/v1/maintenance/repairs"): row(200),
    ("POST", "/api/v1/terminals/{mn}/inspections"): row(
        (403, 403), admin=(201, 201), installer=(201, 404), body=_inspection_body
    ),
    ("POST", "/api/v1/maintenance/repairs/{obligation_id}/repair"): row(
        (403, 403), admin=(201, 201), installer=(201, 404), fresh=_fresh_repair
    ),
    ("GET", "/api/v1/enterprises/{enterprise_id}/service-provider"): row(
        (200, 404), **_COUNTY_SEE, fresh=_fresh_provider
    ),
    ("PUT", "/api/v1/enterprises/{enterprise_id}/service-provider"): row(
        (403, 403), admin=(200, 200), air=(200, 200), body=_provider_body
    ),
    # POST /photos takes multipart/form-data (tested in test_photos.py): a JSON call is 415 for those allowed
    ("POST", "/api/v1/photos"): row(403, **{r: 415 for r in _UPLOADERS}),
    # local photos are uploaded through the API: the S3 direct-upload pair answers 409 there
    ("POST", "/api/v1/photos/uploads"): row(403, **{r: 409 for r in _UPLOADERS}),
    ("POST", "/api/v1/photos/{photo_id}/confirm"): row(
        (403, 403),
        admin=(409, 409),
        air=(409, 409),
        branch=(409, 404),
        enterprise=(409, 404),
        installer=(409, 404),
        body=lambda api, role, scope: {"enterprise_id": f"ent-{scope}", "kind": "site"},
    ),
    ("GET", "/api/v1/photos"): row(200, query={"enterprise_id": "ent-in"}),
    ("GET", "/api/v1/photos/{photo_id}"): row((200, 200), **SCOPED_404),
    # ---- notifications (notify-core) ------------------------------------------------------------------------------
    ("GET", "/api/v1/notify/unreachable"): row(403, admin=200, air=200, emergency=200),
    # ---- periodic reports (web-b) ---------------------------------------------------------------------------------
    ("GET", "/api/v1/reports/monthly-energy"): row(200, query={"month": "2026-01"}),
    ("GET", "/api/v1/reports/monthly-energy.xlsx"): row(200, query={"month": "2026-01"}),
    # the matrix's accounts are not bound to WeChat: every role may report, none has an openid to count grants for
    ("POST", "/api/v1/notify/subscriptions"): row(409, body={"results": {"tmpl-1": "accept"}}),
    # ---- installation campaign (campaign): each step's row puts ent-<scope> at the step it needs -----------------
    ("GET", "/api/v1/campaign"): row(200),
    ("GET", "/api/v1/campaign/progress"): row(200),
    ("GET", "/api/v1/enterprises/{enterprise_id}/campaign"): row((200, 404), **_COUNTY_SEE),
    ("POST", "/api/v1/enterprises/{enterprise_id}/campaign/survey"): row(
        (403, 403), admin=(200, 200), installer=(200, 404), fresh=campaign.SURVEY
    ),
    ("POST", "/api/v1/enterprises/{enterprise_id}/campaign/installation"): row(
        (403, 403), admin=(200, 200), installer=(200, 404), fresh=campaign.INSTALL
    ),
    ("POST", "/api/v1/enterprises/{enterprise_id}/campaign/trial-restart"): row(
        (403, 403), admin=(200, 200), installer=(200, 404), fresh=campaign.RESTART
    ),
    ("POST", "/api/v1/enterprises/{enterprise_id}/campaign/acceptance"): row(
        (403, 403), admin=(200, 200), air=(200, 200), fresh=campaign.ACCEPT
    ),
    ("POST", "/api/v1/enterprises/{enterprise_id}/campaign/filing"): row(
        (403, 403), admin=(200, 200), air=(200, 200), fresh=campaign.FILE
    ),
    ("PUT", "/api/v1/enterprises/{enterprise_id}/campaign/exemption"): row(
        (403, 403), admin=(200, 200), air=(200, 200), body={"reason": "to_be_closed", "approver": "王科长"}
    ),
    ("DELETE", "/api/v1/enterprises/{enterprise_id}/campaign/exemption"): row(
        (403, 403), admin=(200, 200), air=(200, 200)
    ),
    ("GET", "/api/v1/campaign/progress.xlsx"): row(200, enterprise=403, installer=403),
    # the import takes the XLSX bytes (tested in test_campaign.py): a JSON call is 415 for those allowed
    ("POST", "/api/v1/campaign/progress.xlsx"): row(403, admin=415, air=415),
}


def _spec(method: str, path: str) -> RouteSpec:
    return next(s for s in ROUTES if (s.method, s.path) == (method, path))


def _fill(spec: RouteSpec, ids: Mapping[str, str]) -> str:
    path = spec.path.removeprefix("/api/v1")
    for name in spec.path_params:
        assert name in ids, f"{spec.method} {spec.path}: add {name!r} to World.inside/outside (world.py)"
        path = path.replace("{" + name + "}", ids[name])
    return path


def _body(body: Body, api: Api, role: Role, scope: str) -> Any:
    if not callable(body):
        return body
    return body(api, role, scope) if len(inspect.signature(body).parameters) == 3 else body(role, scope)


def _call(api: Api, spec: RouteSpec, entry: Row, role: Role, scope: str) -> int:
    ids = api.world.inside if scope == "in" else api.world.outside
    body = _body(entry.body, api, role, scope)
    if entry.fresh is not None:
        own, body = entry.fresh(api, role, scope)
        ids = {**ids, **own}
    query = dict(entry.query) | ({"limit": "200"} if entry.listed else {})
    reply = api.client.request(
        spec.method, _fill(spec, ids), token=api.token(role), json_body=body, query=query or None
    )
    assert reply.status < 500, f"{spec.method} {spec.path} as {role}: {reply}"
    if reply.status >= 400:
        error = reply.json
        assert set(error) == {"code", "message", "field"}, reply
    elif entry.listed is not None:
        name, item_field = entry.listed
        shown = {item[item_field] for item in reply.json["items"]}
        assert api.world.inside[name] in shown, f"{spec.path} as {role}: the inside {name} is not listed"
        outside_shown = api.world.outside[name] in shown
        assert outside_shown == (role in COUNTY_WIDE), f"{spec.path} as {role}: outside {name} listed={outside_shown}"
    return reply.status


def _coverage(served: set[tuple[str, str]], rows: Mapping[tuple[str, str], Row]) -> tuple[list[Any], list[Any]]:
    """(routes without a row, rows without a route)."""
    return sorted(served - set(rows)), sorted(set(rows) - served)


@pytest.mark.integration
def test_the_coverage_check_sees_a_route_without_a_row_and_a_row_without_a_route() -> None:
    rows = {("GET", "/api/v1/me"): row(200), ("GET", "/api/v1/gone"): row(200)}
    served = {("GET", "/api/v1/me"), ("POST", "/api/v1/new")}
    assert _coverage(served, rows) == ([("POST", "/api/v1/new")], [("GET", "/api/v1/gone")])


@pytest.mark.integration
def test_every_route_has_a_row() -> None:
    served = {(method, path) for path, methods in app.routes.items() for method in methods}
    missing, stale = _coverage(served, MATRIX)
    assert not missing, f"routes without a matrix row (add them to MATRIX): {missing}"
    assert not stale, f"matrix rows for routes that do not exist: {stale}"
    assert served == {(s.method, s.path) for s in ROUTES}, "a route was added to Chalice without ApiBlueprint.route"


@pytest.mark.integration
@pytest.mark.parametrize("key", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_route_matrix(api: Api, key: tuple[str, str]) -> None:
    spec, entry = _spec(*key), MATRIX[key]
    got: dict[str, Expect] = {}
    for role in Role:
        in_scope = _call(api, spec, entry, role, "in")
        out_scope = _call(api, spec, entry, role, "out") if entry.expect[role][1] is not None else None
        got[role.value] = (in_scope, out_scope)
    assert got == {r.value: e for r, e in entry.expect.items()}


@pytest.mark.integration
def test_every_private_route_refuses_a_missing_or_foreign_token(api: Api) -> None:
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    for spec in (s for s in ROUTES if not s.public):
        path = _fill(spec, api.world.inside)
        for token in (None, forged):
            reply = api.client.request(spec.method, path, token=token)
            assert reply.status == 401, (spec.method, spec.path, token, reply)
            assert reply.headers.get("www-authenticate", "").startswith("Bearer"), reply.headers


@pytest.mark.integration
def test_a_stale_alarm_version_is_409_for_every_role_allowed_to_act(api: Api) -> None:
    """The transition rows act at the current version; here the alarm was saved again after the caller read it."""
    for key in [k for k in MATRIX if k[1].startswith("/api/v1/alarms/{alarm_id}/")]:
        spec, entry = _spec(*key), MATRIX[key]
        assert entry.fresh is not None, key
        for role in (r for r, (inside, _) in entry.expect.items() if inside == 200):
            ids, body = entry.fresh(api, role, "in")
            alarm = api.store.alarms.get(ids["alarm_id"])
            api.store.alarms.put(alarm, expected_version=alarm.version)  # someone else saved it meanwhile
            stale = body  # the version the caller saw
            reply = api.client.request(spec.method, _fill(spec, ids), token=api.token(role), json_body=stale)
            assert (reply.status, reply.json["code"]) == (409, "conflict"), (key, role, reply)
