"""The evidence package of an alarm (证据包, for 行政处罚) as a ZIP download: branch (its own cases), air, admin."""

from __future__ import annotations

from urllib.parse import quote

from chalice.app import Response

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.audit import audit_record
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.wiring import delivered_archive, photo_blobs, profiles
from monitoring.accounts.models import Role
from monitoring.alarms.models import Alarm
from monitoring.evidence import build_package, collect
from monitoring.evidence.delivered import EvidenceTooLargeError

routes = ApiBlueprint("evidence")
ZIP = "application/zip"


def _too_large(size: int, limit: int, *, aws: bool) -> errors.ApiError:
    command = (
        "请由运维人员用命令行导出：python -m functions.export_evidence --alarm 编号 --bucket 归档桶 --out 文件"
        if aws
        else "请在平台服务器上用命令行导出：python -m monitoring evidence export --alarm 编号 --out 文件"
    )
    return errors.ApiError(
        413, "evidence_too_large", f"证据包过大（{size / 1e6:.1f} MB，接口上限 {limit / 1e6:.1f} MB），{command}"
    )


def _visible(ctx: RequestContext, alarm_id: str) -> Alarm:
    """As the alarm detail: in the caller's scope, or dispatched to the caller's branch; 404 alike otherwise."""
    alarm = ctx.store.alarms.get(alarm_id)
    caller = ctx.caller
    if caller.role is Role.BRANCH and caller.branch_id is not None and alarm.dispatched_to == caller.branch_id:
        return alarm
    ctx.require_visible(alarm.enterprise_id, "报警不存在")
    return alarm


@routes.route(
    "GET",
    "/alarms/{alarm_id}/evidence",
    action="alarms.evidence",
    summary="导出报警证据包（ZIP：原始报文、哈希链证明与校验脚本、数据、曲线图、处理记录）",
    response_media_type=ZIP,
    description="Deterministic for the same stored inputs; its SHA-256 is in the X-Evidence-SHA256 header and on the "
    "audit trail (action alarms.evidence, object the alarm). "
    "Larger than settings.evidence_max_bytes: 413 `evidence_too_large` (export it with the CLI instead); on AWS "
    "known from the archive's manifests before the objects are read.",
)
def evidence_zip(ctx: RequestContext, alarm_id: str) -> Response:
    alarm = _visible(ctx, alarm_id)
    svc = ctx.services
    archive = delivered_archive(svc)
    limit = svc.settings.evidence_max_bytes
    try:
        evidence = collect(ctx.store, alarm.id, ctx.now, profiles(svc), photo_blobs(svc), archive, max_bytes=limit)
    except EvidenceTooLargeError as exc:  # on AWS, known from the manifests before any object is read
        raise _too_large(exc.size, limit, aws=True) from None
    package = build_package(evidence)
    if len(package.data) > limit:
        raise _too_large(len(package.data), limit, aws=archive is not None)
    # a download changes nothing, so the framework does not audit it: the package's hash is recorded here
    ctx.audit("alarm", alarm.id, alarm.enterprise_id, sha256=package.sha256, bytes=len(package.data))
    ctx.services.store.audit_trail.append(audit_record(ctx, {}))
    stamp = evidence.start.strftime("%Y%m%d%H%M")
    ascii_name = f"evidence-{stamp}-{package.sha256[:12]}.zip"
    name = f"证据包-{evidence.enterprise.name if evidence.enterprise else ''}-{stamp}.zip"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    headers: dict[str, str | list[str]] = {
        "Content-Type": ZIP,
        "Content-Disposition": disposition,
        "X-Evidence-SHA256": package.sha256,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=package.data, status_code=200, headers=headers)
