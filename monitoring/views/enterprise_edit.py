"""Edits of an enterprise's archive by the bureau (大气科, admin), conditional on the version the editor saw.

Only the fields below are editable; identity, county and list number come from the campaign list and stay.
Install status moves by the registry's rules (one step forward, back only with a reason).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.registry.models import (
    Contact,
    Enterprise,
    EnterpriseCategory,
    Exemption,
    ExemptionReason,
    InstallStatus,
    check_id,
    check_text,
)
from monitoring.registry.service import check_install_transition
from monitoring.storage.ports import Store
from monitoring.views.enterprises import visible_enterprise

MAX_CONTACTS = 20
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class EnterpriseEdit:
    """The fields to change (None = leave as is). `exemption_reason` set grants an exemption; `revoke_exemption`
    lifts it. `reason` explains an install status moved back."""

    name: str | None = None
    credit_code: str | None = None
    permit_no: str | None = None
    industry: str | None = None
    performance_grade: str | None = None
    category: EnterpriseCategory | None = None
    town_id: str | None = None
    branch_id: str | None = None
    contacts: tuple[Contact, ...] | None = None
    install_status: InstallStatus | None = None
    reason: str = ""
    exemption_reason: ExemptionReason | None = None
    exemption_note: str = ""
    revoke_exemption: bool = False


def edit_enterprise(
    store: Store,
    enterprise_id: str,
    version: int,
    edit: EnterpriseEdit,
    *,
    visible: frozenset[str] | None,
    editor: str,
    now: datetime,
) -> Enterprise:
    """Apply `edit` to version `version` of the enterprise; ConflictError when someone saved a newer one."""
    e = visible_enterprise(store, enterprise_id, visible)
    if e.version != version:
        raise ConflictError(f"企业档案已被他人修改（当前版本 {e.version}，提交版本 {version}），请刷新后重试")
    changes: dict[str, object] = {}
    for name in ("name", "credit_code", "permit_no", "category", "contacts"):
        value = getattr(edit, name)
        if value is not None:
            changes[name] = value
    if edit.industry is not None:
        changes["industry"] = check_text(edit.industry, "行业", max_len=100, required=False)
    if edit.performance_grade is not None:
        changes["performance_grade"] = check_text(edit.performance_grade, "绩效分级", max_len=20, required=False)
    if edit.contacts is not None and len(edit.contacts) > MAX_CONTACTS:
        raise InvalidInputError(f"联系人不能超过 {MAX_CONTACTS} 个")
    reg = store.registry
    if edit.town_id is not None and edit.town_id != e.town_id:
        town = _found(reg.get_town, edit.town_id)
        if town is None or town.county_id != e.county_id:
            raise InvalidInputError(f"镇/街道 {edit.town_id} 不存在")
        changes["town_id"] = edit.town_id
    if edit.branch_id is not None and edit.branch_id != e.branch_id:
        branch = _found(reg.get_branch, edit.branch_id)
        if branch is None or branch.county_id != e.county_id:
            raise InvalidInputError(f"执法分局 {edit.branch_id} 不存在")
        changes["branch_id"] = edit.branch_id
    exemption = e.exemption
    if edit.revoke_exemption and edit.exemption_reason is not None:
        raise InvalidInputError("不能同时设置和撤销豁免")
    if edit.revoke_exemption:
        exemption = None
    elif edit.exemption_reason is not None:
        exemption = Exemption(edit.exemption_reason, approved_by=editor, approved_at=now, note=edit.exemption_note)
    changes["exemption"] = exemption
    if edit.install_status is not None and edit.install_status is not e.install_status:
        check_install_transition(e.install_status, edit.install_status, reason=edit.reason)
        if exemption is not None and edit.install_status.rank > e.install_status.rank:
            raise InvalidInputError(f"企业已豁免（{exemption.reason.label}），不能推进安装状态")
        changes["install_status"] = edit.install_status
    updated = dataclasses.replace(e, **changes)  # type: ignore[arg-type]  # the record validates itself
    if updated == e:
        return e
    return reg.put_enterprise(updated)


def _found(get: Callable[[str], R], ident: str) -> R | None:
    check_id(ident, "id")
    try:
        return get(ident)
    except NotFoundError:
        return None
