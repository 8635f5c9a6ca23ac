"""Photos: upload (multipart/form-data as wx.uploadFile sends it; or straight to S3 with a presigned form, then
confirm), list per enterprise, read — never outside the caller's scope. The bytes decide the type, not the name.
"""

from __future__ import annotations

from chalice.app import Response
from pydantic import Field, ValidationError

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.forms import parse_form
from miniprogram_api.chalicelib.framework import MULTIPART, ApiBlueprint, RequestContext
from miniprogram_api.chalicelib.models import ApiModel, BeijingTime, Id, Page, PageQuery
from miniprogram_api.chalicelib.pagination import page_slice
from miniprogram_api.chalicelib.validation import first_error
from miniprogram_api.chalicelib.wiring import photo_blobs
from monitoring.accounts.models import Role
from monitoring.alarms.listing import AlarmQuery
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.photos.models import MAX_BYTES, Photo, PhotoKind, PhotoTooLargeError
from monitoring.photos.service import finish_direct_upload, start_direct_upload, store_photo, visible_photo

routes = ApiBlueprint("photos")
FORM_OVERHEAD = 64 * 1024  # the form's other fields and part headers around the file
LIST_LIMIT = 1000
CASES_LIMIT = 500  # alarms of one enterprise dispatched to one branch, searched for a cited photo


class PhotoOut(ApiModel):
    photo_id: str
    enterprise_id: str
    kind: PhotoKind
    kind_name: str
    subject_id: str | None
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    uploaded_by: str
    created_at: BeijingTime
    url: str = Field(description="读取照片的地址（需登录）")

    @classmethod
    def of(cls, p: Photo) -> PhotoOut:
        return cls(photo_id=p.photo_id, enterprise_id=p.enterprise_id, kind=p.kind, kind_name=p.kind.label,
                   subject_id=p.subject_id, content_type=p.content_type, size=p.size, width=p.width, height=p.height,
                   sha256=p.sha256, uploaded_by=p.uploaded_by, created_at=p.created_at,
                   url=f"/api/v1/photos/{p.photo_id}")  # fmt: skip


class PhotosQuery(PageQuery):
    enterprise_id: Id = Field(description="企业")
    kind: PhotoKind | None = None


class DirectUploadOut(ApiModel):
    photo_id: str
    url: str = Field(description="wx.uploadFile 的 url")
    fields: dict[str, str] = Field(description="wx.uploadFile 的 formData；文件字段名为 file")
    expires_in_s: int


class ConfirmIn(ApiModel):
    enterprise_id: Id
    kind: PhotoKind
    subject_id: Id | None = None


class FormIds(ApiModel):
    """The ids an upload form carries, checked like any id."""

    enterprise_id: Id
    subject_id: Id | None = None


class PhotoForm(FormIds):
    """POST /photos's multipart form as wx.uploadFile sends it (`name: 'file'`, the rest in formData)."""

    kind: PhotoKind = Field(description="照片类型")
    file: bytes = Field(description="照片文件（JPEG、PNG、WebP，≤ 10 MB）")


def _dispatched_here(ctx: RequestContext, enterprise_id: str, subject_id: str | None) -> bool:
    """The subject is an alarm of the enterprise that was dispatched to the caller's branch from outside its area
    (the alarm routes let that branch verify it, so it may show and add its photos)."""
    caller = ctx.caller
    if caller.role is not Role.BRANCH or caller.branch_id is None or not subject_id:
        return False
    try:
        alarm = ctx.store.alarms.get(subject_id)
    except NotFoundError:
        return False
    return alarm.enterprise_id == enterprise_id and alarm.dispatched_to == caller.branch_id


def _in_a_case_here(ctx: RequestContext, photo: Photo) -> bool:
    """For reading: the photo belongs to, or is cited by, an alarm dispatched to the caller's branch from outside
    its area (a few alarms per branch, read by their own index)."""
    if _dispatched_here(ctx, photo.enterprise_id, photo.subject_id):
        return True
    branch = ctx.caller.branch_id
    if ctx.caller.role is not Role.BRANCH or branch is None:
        return False
    query = AlarmQuery(enterprise_ids=frozenset({photo.enterprise_id}), dispatched_to=branch)
    cases = ctx.store.alarms.page(query, limit=CASES_LIMIT).alarms
    return any(
        photo.photo_id
        in (*(a.response.photos if a.response else ()), *(a.verification.photos if a.verification else ()))
        for a in cases
    )


def _photo_meta(ctx: RequestContext, enterprise_id: str, kind: str, subject_id: str | None) -> PhotoKind:
    if not _dispatched_here(ctx, enterprise_id, subject_id):
        ctx.enterprise(enterprise_id)  # exists and in scope, else 404
    try:
        return PhotoKind(kind)
    except ValueError:
        raise errors.invalid("照片类型无效", "kind", "invalid_enum") from None


@routes.route(
    "POST", "/photos", action="photos.upload", summary="上传照片（表单：enterprise_id、kind、subject_id、file）",
    response=PhotoOut, status=201, raw_body_types=(MULTIPART,), form=PhotoForm, max_body=MAX_BYTES + FORM_OVERHEAD,
    description="The file's type is sniffed from its bytes (JPEG, PNG, WebP); its name is ignored. ≤ 10 MB.",
)  # fmt: skip
def upload(ctx: RequestContext, body: bytes) -> PhotoOut:
    form = parse_form(body)
    enterprise_id = form.fields.get("enterprise_id", "")
    subject_id = form.fields.get("subject_id") or None
    try:
        FormIds.model_validate({"enterprise_id": enterprise_id, "subject_id": subject_id})
    except ValidationError as exc:
        raise first_error(exc) from None
    kind = _photo_meta(ctx, enterprise_id, form.fields.get("kind", ""), subject_id)
    if set(form.files) != {"file"}:
        raise errors.invalid("须上传一个文件，字段名为 file", "file", "missing_file")
    data = form.files["file"]
    if len(data) > MAX_BYTES:
        raise errors.too_large(MAX_BYTES)
    try:
        photo = store_photo(ctx.store.photos, photo_blobs(ctx.services), data=data, enterprise_id=enterprise_id,
                            kind=kind, uploaded_by=ctx.caller.id, now=ctx.now, subject_id=subject_id)  # fmt: skip
    except PhotoTooLargeError:
        raise errors.too_large(MAX_BYTES) from None
    except InvalidInputError as exc:
        raise errors.invalid(str(exc), "file", "invalid_image") from None
    ctx.audit("photo", photo.photo_id, enterprise_id=enterprise_id, kind=kind.value, size=photo.size,
              sha256=photo.sha256, subject_id=subject_id)  # fmt: skip
    return PhotoOut.of(photo)


@routes.route(
    "POST", "/photos/uploads", action="photos.upload", summary="申请直传照片（AWS：S3 预签名表单）",
    response=DirectUploadOut, status=201,
    description="409 direct_upload_unavailable where photos are kept locally: POST /photos instead.",
)  # fmt: skip
def start_upload(ctx: RequestContext) -> DirectUploadOut:
    started = start_direct_upload(photo_blobs(ctx.services), ctx.caller.id)
    if started is None:
        raise errors.conflict("本部署不支持直传，请直接上传到 /photos", "direct_upload_unavailable")
    photo_id, form = started
    ctx.audit("photo_upload", photo_id)
    return DirectUploadOut(photo_id=photo_id, url=form.url, fields=dict(form.fields), expires_in_s=form.expires_in_s)


@routes.route(
    "POST", "/photos/{photo_id}/confirm", action="photos.upload", summary="确认直传的照片（检查后保存）",
    body=ConfirmIn, response=PhotoOut, status=201,
)  # fmt: skip
def confirm_upload(ctx: RequestContext, photo_id: str, body: ConfirmIn) -> PhotoOut:
    _photo_meta(ctx, body.enterprise_id, body.kind.value, body.subject_id)
    if not photo_blobs(ctx.services).direct_uploads:
        raise errors.conflict("本部署不支持直传，请直接上传到 /photos", "direct_upload_unavailable")
    try:
        photo = finish_direct_upload(ctx.store.photos, photo_blobs(ctx.services), photo_id=photo_id,
                                     enterprise_id=body.enterprise_id, kind=body.kind, uploaded_by=ctx.caller.id,
                                     now=ctx.now, subject_id=body.subject_id)  # fmt: skip
    except NotFoundError:
        raise errors.not_found("照片未上传或已过期") from None
    except PhotoTooLargeError:
        raise errors.too_large(MAX_BYTES) from None
    except InvalidInputError as exc:
        raise errors.invalid(str(exc), "file", "invalid_image") from None
    ctx.audit("photo", photo.photo_id, enterprise_id=body.enterprise_id, kind=body.kind.value, size=photo.size,
              sha256=photo.sha256, subject_id=body.subject_id)  # fmt: skip
    return PhotoOut.of(photo)


@routes.route(
    "GET", "/photos", action="photos.read", summary="企业的照片（新的在前）", query=PhotosQuery, response=Page[PhotoOut]
)
def list_photos(ctx: RequestContext, query: PhotosQuery) -> Page[PhotoOut]:
    ctx.enterprise(query.enterprise_id)
    found = ctx.store.photos.photos_for(query.enterprise_id, limit=LIST_LIMIT)
    if query.kind is not None:
        found = [p for p in found if p.kind is query.kind]
    items, cursor = page_slice(found, query)
    return Page[PhotoOut](items=[PhotoOut.of(p) for p in items], next_cursor=cursor)


@routes.route(
    "GET", "/photos/{photo_id}", action="photos.read", summary="读取照片", response_media_type="image/*",
    description="The image bytes (local), or 302 to a presigned URL valid for 5 minutes (S3).",
)  # fmt: skip
def read_photo(ctx: RequestContext, photo_id: str) -> Response:
    try:
        photo = visible_photo(
            ctx.store.photos,
            photo_id,
            ctx.visible_enterprise_ids(),
            also=lambda p: _in_a_case_here(ctx, p),
        )
    except (NotFoundError, InvalidInputError):
        raise errors.not_found("照片不存在") from None
    blobs = photo_blobs(ctx.services)
    url = blobs.download_url(photo.photo_id, photo.content_type)
    if url is not None:
        return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})
    data = blobs.get(photo.photo_id)
    headers: dict[str, str | list[str]] = {
        "Content-Type": photo.content_type,
        "Content-Disposition": f'inline; filename="{photo.photo_id}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=300",
        "ETag": f'"{photo.sha256}"',
    }
    return Response(body=data, status_code=200, headers=headers)
