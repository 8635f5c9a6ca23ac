"""Enterprises: the list (search, filters, cursor), 一企一档, edits by the bureau and an enterprise's own contacts;
thin routes over `monitoring.views` (docs/api.md, docs/monitoring.md §9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from miniprogram_api.chalicelib.errors import invalid
from miniprogram_api.chalicelib.framework import ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import decode_cursor, encode_cursor
from monitoring.errors import InvalidInputError
from monitoring.registry.models import Contact, ContactRole, EnterpriseCategory, ExemptionReason, InstallStatus
from monitoring.views import dashboard, enterprise_edit, enterprises
from monitoring.views import status as status_view

routes = ApiBlueprint("enterprises")
StatusCode = Literal["producing", "stopped", "curtailed", "unknown"]
CategoryCode = Literal["air_control", "permit"]
InstallCode = Literal["pending_survey", "surveyed", "installed", "networked", "trial_run", "accepted", "filed"]
ExemptionCode = Literal["long_term_shutdown", "to_be_closed", "unsafe"]
ContactRoleCode = Literal["legal_representative", "environment_manager", "electrician", "operator", "other"]
STATE_NAMES = status_view.STATUS_NAMES  # the enterprise now: 生产 / 停产 / 限产 / 无数据


class EnterpriseListQuery(PageQuery):
    q: str = Field("", max_length=50, description="名称、统一社会信用代码或排污许可证编号中的片段")
    town_id: Id | None = None
    branch_id: Id | None = None
    category: CategoryCode | None = None
    install_status: InstallCode | None = None
    status: StatusCode | None = Field(None, description="当前运行状态")
    exempt: bool | None = None


class EnterpriseItem(ApiModel):
    enterprise_id: str
    name: str
    credit_code: str
    town_id: str
    town_name: str
    branch_id: str
    branch_name: str
    category: CategoryCode
    category_name: str
    install_status: InstallCode
    install_status_name: str
    exempt: bool
    status: StatusCode
    status_name: str
    status_at: BeijingTime | None = Field(None, description="规则引擎判断状态的时刻")
    list_year: int | None = None
    list_seq: int | None = None
    version: int


class ContactBody(ApiModel):
    name: str = Field(min_length=1, max_length=50)
    role: ContactRoleCode
    phone: str = Field("", max_length=20)


class ContactItem(ContactBody):
    role_name: str


class ExemptionItem(ApiModel):
    reason: ExemptionCode
    reason_name: str
    approved_by: str
    approved_at: BeijingTime
    note: str


class FacilityItem(ApiModel):
    facility_id: str
    code: str
    name: str
    kind: str
    kind_name: str
    process: str
    rated_power_kw: float | None
    rated_current_a: float | None


class PointItem(ApiModel):
    point_id: str
    facility_id: str
    point_code: str
    name: str
    role: str
    role_name: str
    mn: str | None
    channel: str
    ct_ratio: float
    pt_ratio: float
    status: str
    status_name: str
    version: int = Field(description="版本号（绑定终端等修改时回传，过期则 409）")


class FacilityRef(ApiModel):
    facility_id: str
    code: str
    name: str


class LineItem(ApiModel):
    association_id: str
    name: str
    control: FacilityRef | None
    production: list[FacilityRef]
    production_on_kw: float | None
    control_on_kw: float | None
    low_load_ratio: float
    start_lead_s: int | None
    stop_lag_s: int | None
    confirm_s: int


class GpsItem(ApiModel):
    lat: float
    lon: float
    at: BeijingTime


class TerminalItem(ApiModel):
    mn: str
    model: str
    firmware: str
    profile: str
    online: bool = Field(description="在线：已连接且 15 分钟内收到过数据")
    last_frame_at: BeijingTime | None
    clock_skew_s: float | None
    gps: GpsItem | None
    minute_interval_min: int | None
    realtime_interval_s: int | None


class InstallerItem(ApiModel):
    account_id: str
    display_name: str
    phone: str


class PhotoItem(ApiModel):
    photo_id: str
    kind: str
    kind_name: str
    subject_id: str | None = Field(description="所属对象（如报警编号）")
    uploaded_by: str
    created_at: BeijingTime
    url: str = Field(description="读取照片的地址（需登录）")


class EnterpriseDetail(EnterpriseItem):
    permit_no: str
    industry: str
    performance_grade: str
    contacts: list[ContactItem]
    exemption: ExemptionItem | None
    facilities: list[FacilityItem]
    points: list[PointItem]
    lines: list[LineItem]
    terminals: list[TerminalItem]
    installers: list[InstallerItem] = Field(description="负责安装/运维的账号")
    photos: list[PhotoItem] = Field(description="企业的照片（新的在前，最多 200 张；更多见 GET /photos）")


class EnterprisePatch(ApiModel):
    """Fields left out stay as they are; `version` is the one the editor saw (409 when someone saved since)."""

    version: int = Field(ge=1)
    name: str | None = Field(None, min_length=1, max_length=200)
    credit_code: str | None = Field(None, max_length=18)
    permit_no: str | None = Field(None, max_length=40)
    industry: str | None = Field(None, max_length=100)
    performance_grade: str | None = Field(None, max_length=20)
    category: CategoryCode | None = None
    town_id: Id | None = None
    branch_id: Id | None = None
    contacts: list[ContactBody] | None = Field(None, max_length=enterprise_edit.MAX_CONTACTS)
    install_status: InstallCode | None = None
    install_reason: str = Field("", max_length=200, description="安装状态回退时必填")
    exemption_reason: ExemptionCode | None = Field(None, description="设置豁免（审批人为当前用户）")
    exemption_note: str = Field("", max_length=200)
    revoke_exemption: bool = False


class ContactsPut(ApiModel):
    """The enterprise's whole contact list, replacing the stored one; `version` as in the edit."""

    version: int = Field(ge=1)
    contacts: list[ContactBody] = Field(max_length=enterprise_edit.MAX_CONTACTS)


def _item(row: enterprises.EnterpriseRow) -> dict[str, Any]:
    e = row.enterprise
    return {
        "enterprise_id": e.enterprise_id,
        "name": e.name,
        "credit_code": e.credit_code,
        "town_id": e.town_id,
        "town_name": row.town.name if row.town else "",
        "branch_id": e.branch_id,
        "branch_name": row.branch.name if row.branch else "",
        "category": e.category.value,
        "category_name": e.category.label,
        "install_status": e.install_status.value,
        "install_status_name": e.install_status.label,
        "exempt": e.exemption is not None,
        "status": row.status,
        "status_name": STATE_NAMES[row.status],
        "status_at": row.status_at,
        "list_year": e.list_year,
        "list_seq": e.list_seq,
        "version": e.version,
    }


def _ref(f: Any) -> FacilityRef:
    return FacilityRef(facility_id=f.facility_id, code=f.code, name=f.name)


def _terminal(t: Any, now: datetime) -> TerminalItem:
    online = t.online and t.last_frame_at is not None and now - t.last_frame_at <= dashboard.OFFLINE_AFTER
    gps = None if t.gps is None else GpsItem(lat=t.gps.lat, lon=t.gps.lon, at=t.gps.at)
    return TerminalItem(
        mn=t.mn,
        model=t.model,
        firmware=t.firmware,
        profile=t.profile,
        online=online,
        last_frame_at=t.last_frame_at,
        clock_skew_s=t.clock_skew_s,
        gps=gps,
        minute_interval_min=t.minute_interval_min,
        realtime_interval_s=t.realtime_interval_s,
    )


def _detail(f: enterprises.EnterpriseFile, now: datetime) -> EnterpriseDetail:
    e = f.row.enterprise
    ex = e.exemption
    return EnterpriseDetail(
        **_item(f.row),
        permit_no=e.permit_no,
        industry=e.industry,
        performance_grade=e.performance_grade,
        contacts=[
            ContactItem(name=c.name, role=c.role.value, role_name=c.role.label, phone=c.phone)  # type: ignore[arg-type]
            for c in e.contacts
        ],
        exemption=None
        if ex is None
        else ExemptionItem(
            reason=ex.reason.value,  # type: ignore[arg-type]
            reason_name=ex.reason.label,
            approved_by=ex.approved_by,
            approved_at=ex.approved_at,
            note=ex.note,
        ),
        facilities=[
            FacilityItem(
                facility_id=x.facility_id,
                code=x.code,
                name=x.name,
                kind=x.kind.value,
                kind_name=x.kind.label,
                process=x.process,
                rated_power_kw=x.rated_power_kw,
                rated_current_a=x.rated_current_a,
            )
            for x in f.facilities
        ],
        points=[
            PointItem(
                point_id=p.point_id,
                facility_id=p.facility_id,
                point_code=p.point_code,
                name=p.name,
                role=p.role.value,
                role_name=p.role.label,
                mn=p.mn,
                channel=p.channel,
                ct_ratio=p.ct_ratio,
                pt_ratio=p.pt_ratio,
                status=p.status.value,
                status_name=p.status.label,
                version=p.version,
            )
            for p in f.points
        ],
        lines=[
            LineItem(
                association_id=line.association.association_id,
                name=line.association.name,
                control=None if line.control is None else _ref(line.control),
                production=[_ref(x) for x in line.production],
                production_on_kw=line.association.params.production_on_kw,
                control_on_kw=line.association.params.control_on_kw,
                low_load_ratio=line.association.params.low_load_ratio,
                start_lead_s=line.association.params.start_lead_s,
                stop_lag_s=line.association.params.stop_lag_s,
                confirm_s=line.association.params.confirm_s,
            )
            for line in f.lines
        ],
        terminals=[_terminal(t, now) for t in f.terminals],
        installers=[InstallerItem(account_id=a.id, display_name=a.display_name, phone=a.phone) for a in f.installers],
        photos=[
            PhotoItem(
                photo_id=p.photo_id,
                kind=p.kind.value,
                kind_name=p.kind.label,
                subject_id=p.subject_id,
                uploaded_by=p.uploaded_by,
                created_at=p.created_at,
                url=f"/api/v1/photos/{p.photo_id}",
            )
            for p in f.photos
        ],
    )


def _inner_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    inner = decode_cursor(cursor, keys=("after",))["after"]
    try:
        if not isinstance(inner, str):
            raise ValueError(inner)
        enterprises.parse_cursor(inner)
    except (ValueError, InvalidInputError):
        raise invalid("分页游标无效，请从第一页重新查询", "cursor", "invalid_cursor") from None
    return inner


@routes.route(
    "GET",
    "/enterprises",
    action="enterprises.read",
    summary="企业列表（搜索、筛选、分页）",
    query=EnterpriseListQuery,
    response=Page[EnterpriseItem],
)
def list_enterprises(ctx: RequestContext, query: EnterpriseListQuery) -> Page[EnterpriseItem]:
    where = enterprises.EnterpriseFilter(
        q=query.q,
        town_id=query.town_id,
        branch_id=query.branch_id,
        category=None if query.category is None else EnterpriseCategory(query.category),
        install_status=None if query.install_status is None else InstallStatus(query.install_status),
        status=query.status,
        exempt=query.exempt,
    )
    page = enterprises.list_enterprises(
        ctx.store,
        ctx.caller.county_id,
        where,
        visible=ctx.visible_enterprise_ids(),
        now=ctx.now,
        limit=query.limit,
        cursor=_inner_cursor(query.cursor),
    )
    cursor = None if page.next_cursor is None else encode_cursor({"after": page.next_cursor})
    return Page[EnterpriseItem](items=[EnterpriseItem(**_item(r)) for r in page.items], next_cursor=cursor)


@routes.route(
    "GET",
    "/enterprises/{enterprise_id}",
    action="enterprises.read",
    summary="一企一档（设施、点位、治理线、终端、联系人）",
    response=EnterpriseDetail,
)
def get_enterprise(ctx: RequestContext, enterprise_id: str) -> EnterpriseDetail:
    found = enterprises.enterprise_file(ctx.store, enterprise_id, visible=ctx.visible_enterprise_ids(), now=ctx.now)
    return _detail(found, ctx.now)


@routes.route(
    "PATCH",
    "/enterprises/{enterprise_id}",
    action="enterprises.edit",
    summary="修改企业档案（须带版本号）",
    body=EnterprisePatch,
    response=EnterpriseDetail,
)
def edit_enterprise(ctx: RequestContext, enterprise_id: str, body: EnterprisePatch) -> EnterpriseDetail:
    edit = enterprise_edit.EnterpriseEdit(
        name=body.name,
        credit_code=body.credit_code,
        permit_no=body.permit_no,
        industry=body.industry,
        performance_grade=body.performance_grade,
        category=None if body.category is None else EnterpriseCategory(body.category),
        town_id=body.town_id,
        branch_id=body.branch_id,
        contacts=None
        if body.contacts is None
        else tuple(Contact(c.name, ContactRole(c.role), c.phone) for c in body.contacts),
        install_status=None if body.install_status is None else InstallStatus(body.install_status),
        reason=body.install_reason,
        exemption_reason=None if body.exemption_reason is None else ExemptionReason(body.exemption_reason),
        exemption_note=body.exemption_note,
        revoke_exemption=body.revoke_exemption,
    )
    visible = ctx.visible_enterprise_ids()
    editor = ctx.caller.display_name or ctx.caller.username
    saved = enterprise_edit.edit_enterprise(
        ctx.store, enterprise_id, body.version, edit, visible=visible, editor=editor, now=ctx.now
    )
    changed = sorted(k for k, v in body.model_dump(exclude_unset=True).items() if k != "version")
    ctx.audit("enterprise", enterprise_id, enterprise_id, fields=changed, version=saved.version)
    return _detail(enterprises.enterprise_file(ctx.store, saved.enterprise_id, visible=visible, now=ctx.now), ctx.now)


@routes.route(
    "PUT",
    "/enterprises/{enterprise_id}/contacts",
    action="enterprises.contacts",
    summary="更新企业联系人（企业可维护本企业联系人）",
    body=ContactsPut,
    response=EnterpriseDetail,
)
def put_contacts(ctx: RequestContext, enterprise_id: str, body: ContactsPut) -> EnterpriseDetail:
    contacts = tuple(Contact(c.name, ContactRole(c.role), c.phone) for c in body.contacts)
    visible = ctx.visible_enterprise_ids()
    editor = ctx.caller.display_name or ctx.caller.username
    saved = enterprise_edit.edit_enterprise(
        ctx.store,
        enterprise_id,
        body.version,
        enterprise_edit.EnterpriseEdit(contacts=contacts),
        visible=visible,
        editor=editor,
        now=ctx.now,
    )
    ctx.audit("enterprise", enterprise_id, enterprise_id, fields=["contacts"], version=saved.version)
    return _detail(enterprises.enterprise_file(ctx.store, saved.enterprise_id, visible=visible, now=ctx.now), ctx.now)
