"""The 企业 sheet: enterprise profile fields (credit code, permit, industry, grade) and contacts.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from monitoring.errors import InvalidInputError
from monitoring.registry import ids
from monitoring.registry.models import Contact, ContactRole, Enterprise
from monitoring.registry.tabular import Table
from monitoring.storage.ports import RegistryRepository

SHEET = "企业"
_PROFILE = ("credit_code", "permit_no", "industry", "performance_grade")

ErrorSink = Callable[[str, int, str, str], None]  # (sheet, row, column, message)


def plan_profiles(repo: RegistryRepository, county_id: str, table: Table, err: ErrorSink) -> list[Enterprise]:
    """The enterprises as the sheet wants them (not written); problems go to `err`."""
    profiles: dict[str, dict[str, str]] = {}
    contacts: dict[str, list[Contact]] = {}
    first_row: dict[str, int] = {}
    for row, v in table.rows:
        name = v.get("enterprise_name", "").strip()
        eid = ids.enterprise_id(county_id, name)
        if not name or repo.find_enterprise(eid) is None:
            err(SHEET, row, "enterprise_name", f"企业「{name}」不在名单中（请先导入企业名单）")
            continue
        first_row.setdefault(eid, row)
        fields = profiles.setdefault(eid, {})
        for column in _PROFILE:
            value = v.get(column, "").strip()
            if value and fields.get(column, value) != value:
                err(SHEET, row, column, f"与第{first_row[eid]}行填写的不一致")
            elif value:
                fields[column] = value
        if v.get("contact_name", "").strip():
            try:
                role = ContactRole.parse(v.get("contact_role", "") or "其他")
            except InvalidInputError as exc:
                err(SHEET, row, "contact_role", str(exc))
                continue
            try:
                contact = Contact(v["contact_name"], role, v.get("contact_phone", "").strip())
            except InvalidInputError as exc:
                err(SHEET, row, "contact_phone" if "电话" in str(exc) else "contact_name", str(exc))
                continue
            contacts.setdefault(eid, []).append(contact)
    planned = []
    for eid, fields in profiles.items():
        current = repo.get_enterprise(eid)
        wanted = _with_contacts(current, contacts.get(eid, []))
        try:
            planned.append(
                dataclasses.replace(
                    wanted,
                    credit_code=fields.get("credit_code", current.credit_code),
                    permit_no=fields.get("permit_no", current.permit_no),
                    industry=fields.get("industry", current.industry),
                    performance_grade=fields.get("performance_grade", current.performance_grade),
                )
            )
        except InvalidInputError as exc:
            column = "credit_code" if "信用代码" in str(exc) else "permit_no"
            err(SHEET, first_row[eid], column, str(exc))
    return planned


def _with_contacts(current: Enterprise, contacts: list[Contact]) -> Enterprise:
    if not contacts:
        return current  # the sheet named the enterprise but listed nobody: keep the contacts on file
    bound = {(c.name, c.phone): c.wechat_openid for c in current.contacts}
    merged = tuple(dataclasses.replace(c, wechat_openid=bound.get((c.name, c.phone))) for c in contacts)
    return dataclasses.replace(current, contacts=merged)
