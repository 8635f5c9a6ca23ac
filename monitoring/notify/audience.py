"""Audiences → recipients: enterprise contacts (the registry), accounts by role and scope, WeCom group robots;
the same phone or openid is one person; who has no usable channel is reported, not silently skipped."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from monitoring.accounts.models import Account, Role
from monitoring.notify.models import NotifyEvent, Recipient
from monitoring.notify.ports import ChannelKind
from monitoring.registry.models import Enterprise

_ROLE_OF = {
    "enterprise_accounts": Role.ENTERPRISE,
    "installer": Role.INSTALLER,
    "service_provider": Role.INSTALLER,
    "branch_staff": Role.BRANCH,
    "town_officials": Role.TOWN,
    "emergency_staff": Role.EMERGENCY,
    "air_staff": Role.AIR,
}


class Directory(Protocol):
    """What audience resolution reads: enterprises and accounts (a Store gives both)."""

    def enterprise(self, enterprise_id: str) -> Enterprise | None: ...
    def accounts(self, county_id: str) -> Sequence[Account]: ...


_E164 = re.compile(r"\+[1-9]\d{7,14}")


def split_phone(phone: str) -> tuple[str, str]:
    """(mainland number for Aliyun/Tencent, E.164 number outside the mainland for SNS): "+86…" and bare numbers
    are mainland; any other "+<country>…" number goes to SNS (the mainland providers' templates do not reach it)."""
    compact = re.sub(r"[\s-]", "", phone)
    if compact.startswith("+86"):
        return compact[3:], ""
    if compact.startswith("+"):
        return ("", compact) if _E164.fullmatch(compact) else ("", "")
    return compact, ""


def _person(rid: str, name: str, audience: str, phone: str, openid: str) -> Recipient:
    mainland, abroad = split_phone(phone)
    return Recipient(rid, name, audience, phone=mainland, openid=openid, sns_phone=abroad)


def address_for(recipient: Recipient, kind: ChannelKind) -> str:
    """The recipient's address on `kind`, or "" when it has none."""
    return {
        ChannelKind.SMS: recipient.phone,
        ChannelKind.WECHAT_SUBSCRIBE: recipient.openid,
        ChannelKind.WECOM_ROBOT: recipient.robot,
        ChannelKind.SNS_SMS: recipient.sns_phone,
    }[kind]


def _in_scope(account: Account, audience: str, event: NotifyEvent, enterprise: Enterprise | None) -> bool:
    if account.disabled or account.role is not _ROLE_OF[audience]:
        return False
    if audience == "service_provider":  # the provider named for the enterprise (maintenance reminders)
        return account.id in event.account_ids
    if audience in ("enterprise_accounts", "installer"):
        return event.enterprise_id is not None and event.enterprise_id in account.enterprise_ids
    if audience == "branch_staff":
        return account.branch_id == (event.branch_id or (enterprise.branch_id if enterprise else None))
    if audience == "town_officials":
        return account.town_id == (event.town_id or (enterprise.town_id if enterprise else None))
    return True  # county-wide roles


def resolve(
    audiences: Iterable[str], event: NotifyEvent, directory: Directory, robots: Mapping[str, str] | None = None
) -> list[Recipient]:
    """Every recipient of the audiences for this event, one per person (phone or openid), in a stable order."""
    enterprise = directory.enterprise(event.enterprise_id) if event.enterprise_id else None
    found: list[Recipient] = []
    accounts: Sequence[Account] | None = None
    for audience in audiences:
        if audience.startswith("wecom:"):
            name = audience.split(":", 1)[1]
            usable = robots is None or name in robots
            found.append(Recipient(f"robot:{name}", f"企业微信群 {name}", audience, robot=name if usable else ""))
        elif audience == "enterprise_contacts":
            for i, c in enumerate(enterprise.contacts if enterprise else ()):
                contact_id = f"contact:{enterprise.enterprise_id}:{i}"  # type: ignore[union-attr]  # contacts imply one
                found.append(_person(contact_id, c.name, audience, c.phone, c.wechat_openid or ""))
        else:
            if accounts is None:
                accounts = directory.accounts(event.county_id)
            for a in accounts:
                if _in_scope(a, audience, event, enterprise):
                    found.append(_person(f"account:{a.id}", a.display_name, audience, a.phone, a.wechat_openid or ""))
    return _dedupe(found)


def _dedupe(recipients: list[Recipient]) -> list[Recipient]:
    """One recipient per person: a contact and an account sharing a phone or openid merge (the account's id wins)."""
    out: list[Recipient] = []
    for r in recipients:
        same = next(
            (
                i
                for i, o in enumerate(out)
                if o.id == r.id or (r.phone and o.phone == r.phone) or (r.openid and o.openid == r.openid)
            ),
            None,
        )
        if same is None:
            out.append(r)
            continue
        o = out[same]
        out[same] = Recipient(
            r.id if r.id.startswith("account:") else o.id,
            o.name,
            o.audience,
            phone=o.phone or r.phone,
            openid=o.openid or r.openid,
            robot=o.robot or r.robot,
            sns_phone=o.sns_phone or r.sns_phone,
        )
    return out
