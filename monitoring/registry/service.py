"""Registry use cases: installation progress, exemptions, terminal registration and binding.

Services take the repository (and a clock where time matters) as arguments; they never read globals.
"""

from __future__ import annotations

import dataclasses

from monitoring.clock import Clock
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.registry.models import (
    Enterprise,
    Exemption,
    ExemptionReason,
    InstallStatus,
    MonitoringPoint,
    PointStatus,
)
from monitoring.registry.terminal import Terminal, hash_password, new_terminal
from monitoring.storage.ports import RegistryRepository


def check_install_transition(current: InstallStatus, target: InstallStatus, *, reason: str = "") -> None:
    """Forward moves go one step at a time (勘察 → 安装 → 联网 → 试运行 → 验收 → 备案); a step back is a correction
    (e.g. a terminal removed) and needs a reason. Staying put is allowed (idempotent)."""
    if target.rank == current.rank:
        return
    if target.rank == current.rank + 1:
        return
    if target.rank > current.rank:
        raise InvalidInputError(f"安装状态不能从「{current.label}」跳到「{target.label}」，须逐步推进")
    if not reason.strip():
        raise InvalidInputError(f"安装状态从「{current.label}」退回「{target.label}」须说明原因")


def advance_install_status(
    repo: RegistryRepository, enterprise_id: str, target: InstallStatus, *, reason: str = ""
) -> Enterprise:
    """Move an enterprise's installation status, validated; ConflictError if someone else changed it meanwhile."""
    enterprise = repo.get_enterprise(enterprise_id)
    check_install_transition(enterprise.install_status, target, reason=reason)
    if enterprise.exemption is not None and target.rank > enterprise.install_status.rank:
        raise InvalidInputError(f"企业已豁免（{enterprise.exemption.reason.label}），不能推进安装状态")
    if target is enterprise.install_status:
        return enterprise
    return repo.put_enterprise(dataclasses.replace(enterprise, install_status=target))


def grant_exemption(
    repo: RegistryRepository,
    enterprise_id: str,
    reason: ExemptionReason,
    *,
    approved_by: str,
    clock: Clock,
    note: str = "",
) -> Enterprise:
    """Record an approved exemption (长期停产/拟关闭/安全条件不允许) with its approver."""
    enterprise = repo.get_enterprise(enterprise_id)
    exemption = Exemption(reason=reason, approved_by=approved_by, approved_at=clock.now(), note=note)
    return repo.put_enterprise(dataclasses.replace(enterprise, exemption=exemption))


def revoke_exemption(repo: RegistryRepository, enterprise_id: str) -> Enterprise:
    """Lift an exemption (the enterprise resumed production, say)."""
    enterprise = repo.get_enterprise(enterprise_id)
    if enterprise.exemption is None:
        return enterprise
    return repo.put_enterprise(dataclasses.replace(enterprise, exemption=None))


def register_terminal(
    repo: RegistryRepository, mn: str, county_id: str, password: str, *, profile: str = "default", **fields: object
) -> Terminal:
    """Create a terminal (ConflictError if the MN is already registered)."""
    if repo.find_terminal(mn) is not None:
        raise ConflictError(f"终端 {mn} 已登记")
    return repo.put_terminal(new_terminal(mn, county_id, password, profile=profile, **fields))


def change_terminal_password(repo: RegistryRepository, mn: str, password: str) -> Terminal:
    """Store a new password hash (after the terminal accepted CN 1072, say)."""
    terminal = repo.get_terminal(mn)
    return repo.put_terminal(dataclasses.replace(terminal, password_hash=hash_password(password)))


def bind_point(repo: RegistryRepository, point_id: str, mn: str, *, channel: str = "") -> MonitoringPoint:
    """Bind a terminal channel to a point (the installer's scan). The terminal joins the point's enterprise."""
    point = repo.get_point(point_id)
    terminal = repo.get_terminal(mn)
    enterprise = repo.get_enterprise(point.enterprise_id)
    if terminal.county_id != enterprise.county_id:
        raise InvalidInputError(f"终端 {mn} 属于其他区县，不能绑定")
    if terminal.enterprise_id not in (None, enterprise.enterprise_id):
        raise ConflictError(f"终端 {mn} 已属于其他企业 {terminal.enterprise_id}")
    bound = repo.put_point(dataclasses.replace(point, mn=mn, channel=channel))
    if terminal.enterprise_id is None:
        repo.put_terminal(dataclasses.replace(terminal, enterprise_id=enterprise.enterprise_id))
    return bound


def unbind_point(repo: RegistryRepository, point_id: str) -> MonitoringPoint:
    """Detach the terminal from a point (the point keeps its history)."""
    point = repo.get_point(point_id)
    return repo.put_point(dataclasses.replace(point, mn=None, channel=""))


def set_point_status(repo: RegistryRepository, point_id: str, status: PointStatus) -> MonitoringPoint:
    """调试 → 运行 after acceptance, 停用 when a circuit is retired; any move is allowed but recorded by version."""
    point = repo.get_point(point_id)
    if point.status is status:
        return point
    return repo.put_point(dataclasses.replace(point, status=status))
