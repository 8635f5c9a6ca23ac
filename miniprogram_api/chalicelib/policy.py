"""Who may do what: one table, action → the roles allowed (DESIGN.md §9). Scope (which objects) is checked apart:
an object outside the caller's scope answers 404 whatever the role. Enumerated by tests/unit/miniprogram_api.

Add a row per new action, in your area's section (docs/api.md "Adding a route").
"""

from __future__ import annotations

from collections.abc import Mapping

from monitoring.accounts.models import Role

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})

POLICY: Mapping[str, frozenset[Role]] = {
    # ---- me, accounts (api-core) ---------------------------------------------------------------------------------
    "me.read": ALL,
    "me.password": ALL,
    "accounts.read": ADMIN,
    "accounts.create": ADMIN,
    "accounts.edit": ADMIN,
    "accounts.disable": ADMIN,
    "accounts.enable": ADMIN,
    "accounts.invite": ADMIN,
    "accounts.password": ADMIN,
    # ---- alarms, fault reports, stoppage requests, emergency (routes-alarms) -------------------------------------
    # Domain roles (monitoring.alarms ActorRole) are mapped in chalicelib/actors.py; the domain checks stay: admin
    # passes the policy everywhere, but answering for an enterprise (respond) and the on-site verification remain
    # the enterprise's and the branch's (the workflow refuses others with a 409 that says who may).
    "alarms.read": ALL,
    "alarms.respond": frozenset({Role.ADMIN, Role.ENTERPRISE, Role.INSTALLER}),
    "alarms.dispatch": frozenset({Role.ADMIN, Role.AIR, Role.EMERGENCY, Role.BRANCH}),
    "alarms.verify": frozenset({Role.ADMIN, Role.BRANCH}),
    "alarms.close": frozenset({Role.ADMIN, Role.AIR, Role.BRANCH}),
    "alarms.reopen": frozenset({Role.ADMIN, Role.AIR, Role.BRANCH}),
    "faults.read": ALL,
    "faults.file": frozenset({Role.ADMIN, Role.ENTERPRISE, Role.INSTALLER}),
    "faults.acknowledge": frozenset({Role.ADMIN, Role.AIR, Role.BRANCH}),
    "faults.resolve": frozenset({Role.ADMIN, Role.AIR, Role.BRANCH, Role.ENTERPRISE, Role.INSTALLER}),
    "stoppages.read": ALL,
    "stoppages.file": frozenset({Role.ADMIN, Role.ENTERPRISE, Role.INSTALLER}),
    "stoppages.decide": frozenset({Role.ADMIN, Role.AIR, Role.BRANCH}),
    "emergency.alerts.read": ALL,
    "emergency.alerts.publish": frozenset({Role.ADMIN, Role.EMERGENCY}),
    "emergency.alerts.end": frozenset({Role.ADMIN, Role.EMERGENCY}),
    "emergency.compliance.read": ALL - {Role.INSTALLER},
    "emergency.measures.read": ALL,
    "emergency.measures.edit": frozenset({Role.ADMIN, Role.EMERGENCY}),
    # ---- enterprises, readings, dashboard, audit log (routes-registry) -------------------------------------------
    # Reading is every role's, limited by scope; the archive is edited by the bureau (大气科) and admins.
    "enterprises.read": ALL,
    "enterprises.edit": frozenset({Role.ADMIN, Role.AIR}),
    "enterprises.contacts": frozenset({Role.ADMIN, Role.AIR, Role.ENTERPRISE}),  # an enterprise keeps its own
    "readings.read": ALL,
    "dashboard.read": ALL,
    "audit.read": frozenset({Role.ADMIN, Role.AIR}),
    # ---- terminals, photos (routes-field) -------------------------------------------------------------------------
    "terminals.read": ALL,  # within scope: branch/town/enterprise their enterprises, installer its assignments
    "terminals.unregistered": frozenset({Role.ADMIN, Role.AIR, Role.INSTALLER}),  # MNs of no enterprise yet
    "terminals.bind": frozenset({Role.ADMIN, Role.INSTALLER}),
    "terminals.command": frozenset({Role.ADMIN, Role.INSTALLER}),
    "terminals.commission": frozenset({Role.ADMIN, Role.INSTALLER}),  # the server judges; installer: assigned ones
    "maintenance.read": ALL,  # within scope
    "maintenance.write": frozenset({Role.ADMIN, Role.INSTALLER}),  # installer: its assigned enterprises
    "maintenance.provider": frozenset({Role.ADMIN, Role.AIR}),  # who each enterprise's service provider is
    "photos.read": ALL,
    "photos.upload": frozenset({Role.ADMIN, Role.AIR, Role.BRANCH, Role.ENTERPRISE, Role.INSTALLER}),
    # ---- notifications (notify-core): the bureau fixes who cannot be reached --------------------------------------
    "notify.unreachable": frozenset({Role.ADMIN, Role.AIR, Role.EMERGENCY}),
    # ---- periodic reports (web-b) -----------------------------------------------------------------------------------
    "reports.monthly.read": ALL,  # 月度用电汇总: rows only for the caller's enterprises
    "notify.subscriptions": ALL,  # anyone bound to the mini-program reports what they accepted
    # ---- installation campaign (campaign) ------------------------------------------------------------------------
    "campaign.read": ALL,  # within scope: progress counts and overdue lists hold the caller's enterprises only
    "campaign.survey": frozenset({Role.ADMIN, Role.INSTALLER}),  # installer: its assigned enterprises
    "campaign.install": frozenset({Role.ADMIN, Role.INSTALLER}),
    "campaign.accept": frozenset({Role.ADMIN, Role.AIR}),  # acceptance and filing are recorded by 大气科
    "campaign.exempt": frozenset({Role.ADMIN, Role.AIR}),
    "campaign.export": ALL - {Role.ENTERPRISE, Role.INSTALLER},
    "campaign.import": frozenset({Role.ADMIN, Role.AIR}),
}
# Routes anyone may call (no token): the policy is not asked; listed so the table still names every action.
PUBLIC_ACTIONS = frozenset(
    {
        "openapi.read",
        "health.read",
        "auth.login",
        "auth.refresh",
        "auth.logout",
        "auth.wechat",
        "auth.wechat_bind_invitation",
        "auth.wechat_sms_code",
        "auth.wechat_bind_phone",
    }
)


def allowed(role: str, action: str) -> bool:
    """Whether `role` may perform `action`; an action missing from the table is allowed to nobody."""
    return role in POLICY.get(action, frozenset())
