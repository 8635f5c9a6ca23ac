"""One way to declare a route: `ApiBlueprint.route(...)` validates, authenticates, authorises, audits, serialises.

Every declared route is kept in `ROUTES` for the OpenAPI document and the role × route matrix (docs/api.md).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from miniprogram_api.chalicelib import errors
from miniprogram_api.chalicelib.audit import audit_record
from miniprogram_api.chalicelib.policy import allowed
from miniprogram_api.chalicelib.tokens import read_access
from miniprogram_api.chalicelib.validation import first_error
from miniprogram_api.chalicelib.wiring import Services, services
from monitoring.accounts.models import Account
from monitoring.accounts.scope import visible_enterprise_ids
from monitoring.errors import NotFoundError
from monitoring.registry.models import Enterprise
from monitoring.storage.ports import Store

T = TypeVar("T")
log = logging.getLogger("miniprogram_api")
API_PREFIX = "/api/v1"
JSON_BODY_LIMIT = 64 * 1024  # a JSON body larger than this is a 413 (photos declare their own limit)
MULTIPART = "multipart/form-data"
CHANNELS = ("web", "miniprogram")
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
# The rules engine's alarm ids are rule|subject|start (monitoring.alarms.reconcile.alarm_id) and a line's subject
# holds "/": sent URL-encoded, they are ids only (never a file or object path), and ".." is refused all the same.
ALARM_ID = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._:|/-]{0,255}$")
_PATH_IDS = {"alarm_id": ALARM_ID}
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RouteSpec:
    """What a route declares; read by the dispatcher, the OpenAPI generator and the matrix test."""

    method: str
    path: str  # full path, e.g. /api/v1/alarms/{alarm_id}
    action: str  # the policy action, e.g. "alarms.read"; also the audit action
    summary: str
    handler_name: str
    area: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    public: bool = False  # no token needed (login, the OpenAPI document)
    audit: bool = True  # mutating routes are audited unless they say otherwise (they must say why)
    # The handler's writes and the audit entry in one store batch (sqlite: one transaction, rolled back when the
    # handler fails). False where a failure must still be written: a wrong password counts towards the lockout.
    atomic: bool = True
    max_body: int = JSON_BODY_LIMIT
    raw_body_types: tuple[str, ...] = ()  # e.g. ("image/jpeg", "image/png"): the body is passed as bytes
    form: type[BaseModel] | None = None  # the fields of a multipart/form-data body, as the document describes them
    response_media_type: str = "application/json"  # a download (XLSX, a photo) names its type here
    description: str = ""

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PATH_PARAM.findall(self.path))


ROUTES: list[RouteSpec] = []


@dataclass
class AuditTarget:
    object_type: str
    object_id: str
    enterprise_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class RequestContext:
    """What a handler gets besides its path parameters, `body` and `query`: who asks, from where, and helpers."""

    spec: RouteSpec
    services: Services
    now: datetime  # the platform's time, one instant per request (UTC); responses show it in Beijing time
    wall: datetime  # the wall clock: tokens, lockouts, codes (a demo's accelerated platform time must not age them)
    source_ip: str
    channel: str  # "web" or "miniprogram": the X-Client-Channel header, else the token's login channel
    request_id: str
    account: Account | None = None  # None only on public routes
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers a handler wants to send
    audit_target: AuditTarget | None = None
    _visible: frozenset[str] | None = None
    _visible_loaded: bool = False
    _counties: dict[str, str | None] = field(default_factory=dict)  # enterprise → county, read once per request

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def caller(self) -> Account:
        """The authenticated account (routes that are not public always have one)."""
        if self.account is None:
            raise errors.unauthenticated()
        return self.account

    # ---- scope (DESIGN.md §9: outside one's scope an object does not exist) ----------------------------------------
    def visible_enterprise_ids(self) -> frozenset[str] | None:
        """The enterprises the caller may see; None = the whole county. Computed once per request."""
        if not self._visible_loaded:
            self._visible = visible_enterprise_ids(self.caller, self.services.store.registry)
            self._visible_loaded = True
        return self._visible

    def require_visible(self, enterprise_id: str, message: str = "对象不存在") -> None:
        """404 unless the caller's scope holds `enterprise_id` (call it with the enterprise an object belongs to).
        A county-wide scope is the caller's county: an enterprise registered in another county is outside it."""
        visible = self.visible_enterprise_ids()
        if visible is not None and enterprise_id not in visible:
            raise errors.not_found(message)
        if visible is None and self._county_of(enterprise_id) not in (None, self.caller.county_id):
            raise errors.not_found(message)

    def _county_of(self, enterprise_id: str) -> str | None:
        if enterprise_id not in self._counties:
            found = self.services.store.registry.find_enterprise(enterprise_id)
            self._counties[enterprise_id] = None if found is None else found.county_id
        return self._counties[enterprise_id]

    def enterprise(self, enterprise_id: str) -> Enterprise:
        """The enterprise if it exists and is in scope, else 404 (the same answer either way)."""
        self.require_visible(enterprise_id, "企业不存在")
        found: Enterprise | None = self.services.store.registry.find_enterprise(enterprise_id)
        if found is None:
            raise errors.not_found("企业不存在")
        return found

    def act_as(self, account: Account) -> None:
        """A public route that has just identified its caller (login) names it: the audit entry shows who."""
        self.account = account

    def scoped(self, load: Callable[[], T], enterprise_of: Callable[[T], str], message: str = "对象不存在") -> T:
        """`load()` (an object of an enterprise), or 404 when it does not exist or its enterprise is outside the
        caller's scope: `ctx.scoped(lambda: ctx.store.alarms.get(alarm_id), lambda a: a.enterprise_id)`."""
        try:
            found = load()
        except NotFoundError:
            raise errors.not_found(message) from None
        self.require_visible(enterprise_of(found), message)
        return found

    # ---- audit ------------------------------------------------------------------------------------------------------
    def audit(self, object_type: str, object_id: str, enterprise_id: str | None = None, **detail: Any) -> None:
        """Name the object this mutating call changed (default: the area and the last path parameter)."""
        self.audit_target = AuditTarget(object_type, object_id, enterprise_id, dict(detail))


Handler = Callable[..., Any]


class ApiBlueprint:
    """A Chalice blueprint whose routes are declared with `route(...)`; one per area (routes/<area>.py)."""

    def __init__(self, area: str) -> None:
        self.area = area
        self.blueprint = Blueprint(f"miniprogram_api.chalicelib.routes.{area}")
        self.specs: list[RouteSpec] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        action: str,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        public: bool = False,
        audit: bool = True,
        atomic: bool = True,
        max_body: int = JSON_BODY_LIMIT,
        raw_body_types: tuple[str, ...] = (),
        form: type[BaseModel] | None = None,
        response_media_type: str = "application/json",
        description: str = "",
    ) -> Callable[[Handler], Handler]:
        """Declare a route. The handler is called as `handler(ctx, **path_params, [body=...], [query=...])` and
        returns an instance of `response` (or None for 204, or a chalice Response for downloads)."""
        if not path.startswith("/") or path.startswith(API_PREFIX):
            raise ValueError(f"route path {path!r}: give it relative to {API_PREFIX}, starting with /")
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise ValueError(f"route method {method!r}")
        if body is not None and raw_body_types:
            raise ValueError("a route takes a JSON body model or raw body types, not both")
        if form is not None and MULTIPART not in raw_body_types:
            raise ValueError(f"a form model describes a {MULTIPART} body: name it in raw_body_types")

        def decorator(handler: Handler) -> Handler:
            spec = RouteSpec(
                method=method,
                path=API_PREFIX + path,
                action=action,
                summary=summary,
                handler_name=f"{self.area}.{handler.__name__}",
                area=self.area,
                body=body,
                query=query,
                response=response,
                status=status,
                public=public,
                audit=audit,
                atomic=atomic,
                max_body=max_body,
                raw_body_types=raw_body_types,
                form=form,
                response_media_type=response_media_type,
                description=description,
            )
            if any((s.method, s.path) == (spec.method, spec.path) for s in ROUTES):
                raise ValueError(f"route {method} {spec.path} declared twice")
            ROUTES.append(spec)
            self.specs.append(spec)

            def view(**path_params: str) -> Response:
                return dispatch(spec, handler, self.blueprint.current_request, path_params)

            view.__name__ = handler.__name__
            view.__doc__ = handler.__doc__
            # content_types=[] turns Chalice's own 415 check off: the framework answers with the API's error shape.
            self.blueprint.route(path, methods=[method], content_types=[])(view)
            return handler

        return decorator


# ---- dispatch ------------------------------------------------------------------------------------------------------
def dispatch(spec: RouteSpec, handler: Handler, request: Request, path_params: Mapping[str, str]) -> Response:
    """Run one request through the route's checks and its handler; every outcome is a JSON answer, logged."""
    started = time.perf_counter()
    request_id = uuid.uuid4().hex
    ctx: RequestContext | None = None
    try:
        svc = services()
        ctx = RequestContext(
            spec=spec,
            services=svc,
            now=svc.clock.now(),
            wall=svc.wall.now(),
            source_ip=_source_ip(request),
            channel="web",
            request_id=request_id,
        )
        response = _respond(spec, _run(spec, handler, request, path_params, ctx), ctx)
    except Exception as exc:  # every failure becomes an error body; a bug is a logged 500 without its trace
        error = errors.from_domain(exc)
        if error is None:
            log.exception("unhandled error", extra={"fields": {"route": spec.handler_name, "request_id": request_id}})
            error = errors.INTERNAL
        response = error_response(error, request_id)
        if ctx is not None and error.status in (403, 409):
            _audit_denied(ctx, path_params, error.code)
    account = ctx.account if ctx is not None else None
    fields = {
        "method": spec.method,
        "route": spec.path,
        "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "account": account.id if account is not None else "",
        "ip": ctx.source_ip if ctx is not None else "",
        "request_id": request_id,
    }
    log.info("api request", extra={"fields": fields})
    return response


def _audit_denied(ctx: RequestContext, path_params: Mapping[str, str], code: str) -> None:
    """A refused mutating call by a known person goes on the trail too (who tried what); failing to write it
    only logs — the answer stands either way."""
    if ctx.account is None or not (ctx.spec.mutating and ctx.spec.audit):
        return
    try:
        ctx.services.store.audit_trail.append(audit_record(ctx, path_params, denied=code))
    except Exception:
        log.exception("denied attempt not audited", extra={"fields": {"route": ctx.spec.handler_name}})


def _respond(spec: RouteSpec, result: Any, ctx: RequestContext) -> Response:
    headers: dict[str, str | list[str]] = {"X-Request-Id": ctx.request_id, **ctx.headers}
    if isinstance(result, Response):
        result.headers.update(headers)
        return result
    if result is None:
        return Response(body="", status_code=204 if spec.status == 200 else spec.status, headers=headers)
    if spec.response is None or not isinstance(result, spec.response):
        log.error("handler returned the wrong type", extra={"fields": {"route": spec.handler_name}})
        return error_response(errors.INTERNAL, ctx.request_id)
    headers["Content-Type"] = "application/json; charset=utf-8"
    return Response(body=result.model_dump_json(), status_code=spec.status, headers=headers)


def _run(
    spec: RouteSpec, handler: Handler, request: Request, path_params: Mapping[str, str], ctx: RequestContext
) -> Any:
    header_channel = (request.headers.get("x-client-channel") or "").strip().lower()
    if header_channel and header_channel not in CHANNELS:
        raise errors.invalid("X-Client-Channel 须为 web 或 miniprogram", "X-Client-Channel", "invalid_header")
    if not spec.public:
        ctx.account, token_channel = _authenticate(request, ctx)
        ctx.channel = header_channel or token_channel
        if not allowed(ctx.account.role, spec.action):
            raise errors.forbidden()
    else:
        ctx.channel = header_channel or "web"
    kwargs: dict[str, Any] = {}
    for name in spec.path_params:
        value = path_params.get(name, "")
        if not _PATH_IDS.get(name, _ID).match(value):
            raise errors.invalid(f"路径参数 {name} 格式不正确", name, "invalid_path")
        kwargs[name] = value
    if spec.query is not None:
        kwargs["query"] = _parse_query(spec.query, request)
    raw = _raw_body(request)
    if len(raw) > spec.max_body:
        raise errors.too_large(spec.max_body)
    if spec.body is not None:
        kwargs["body"] = _parse_json_body(spec.body, request, raw)
    elif spec.raw_body_types:
        ctype = _content_type(request)
        if ctype not in spec.raw_body_types:
            allowed_types = "、".join(spec.raw_body_types)
            raise errors.ApiError(415, "unsupported_media_type", f"请求体类型须为 {allowed_types}", "Content-Type")
        kwargs["body"] = raw
    elif raw and spec.mutating:
        raise errors.invalid("此接口不接受请求体", "body", "unexpected_body")
    if not (spec.mutating and spec.audit):
        return handler(ctx, **kwargs)
    if not spec.atomic:
        result = handler(ctx, **kwargs)
        ctx.services.store.audit_trail.append(audit_record(ctx, path_params))
        return result
    with ctx.services.store.batch():  # the change and its audit entry commit together (sqlite)
        result = handler(ctx, **kwargs)
        ctx.services.store.audit_trail.append(audit_record(ctx, path_params))
    return result


def _authenticate(request: Request, ctx: RequestContext) -> tuple[Account, str]:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.unauthenticated()
    claims = read_access(token.strip(), ctx.wall, ctx.services.settings)
    try:
        account: Account = ctx.services.store.accounts.get_account(claims.subject)
    except NotFoundError:
        raise errors.unauthenticated("登录已失效，请重新登录", "token_invalid") from None
    if account.disabled:
        raise errors.unauthenticated("账号已停用", "account_disabled")
    # One read per request (no cache): a logout or a detected refresh reuse ends the access token at once.
    family = ctx.services.store.accounts.get_refresh_family(claims.family_id)
    if family is None or family.revoked_at is not None or family.account_id != account.id:
        raise errors.unauthenticated("登录已退出或失效，请重新登录", "token_revoked")
    return account, claims.channel


def _source_ip(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")


def _content_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _raw_body(request: Request) -> bytes:
    raw = request.raw_body
    return raw if isinstance(raw, bytes) else (raw or "").encode()


def _parse_json_body(model: type[BaseModel], request: Request, raw: bytes) -> BaseModel:
    ctype = _content_type(request)
    if ctype not in ("", "application/json"):
        raise errors.ApiError(415, "unsupported_media_type", "请求体须为 JSON（Content-Type: application/json）")
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[…" nested beyond the stack
        raise errors.bad_request("请求体不是合法的 JSON", "body", "malformed_json") from None
    if not isinstance(data, dict):
        raise errors.invalid("请求体须为 JSON 对象", "body", "invalid_body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise first_error(exc) from None


def _parse_query(model: type[BaseModel], request: Request) -> BaseModel:
    params = request.query_params
    values: dict[str, Any] = {}
    fields = {info.alias or name: info for name, info in model.model_fields.items()}  # `from=` is alias "from"
    if params is not None:
        for name in params:
            got = params.getlist(name)
            info = fields.get(name)
            if info is not None and _is_list(info.annotation):
                values[name] = got
            elif len(got) > 1:
                raise errors.invalid(f"查询参数 {name} 重复", name, "invalid_query")
            else:
                values[name] = got[0]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise first_error(exc) from None


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_list(a) for a in get_args(annotation))
    return False


def error_response(error: errors.ApiError, request_id: str = "") -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json; charset=utf-8", **error.headers}
    if request_id:
        headers["X-Request-Id"] = request_id
    body = json.dumps(error.body(), ensure_ascii=False)
    return Response(body=body, status_code=error.status, headers=headers)
