"""Registry records (一企一档) as frozen dataclasses: jurisdictions, enterprise, facility, point, association.

Identifiers are opaque strings chosen by the caller (the importer derives stable ones). Every record that can be
edited concurrently carries `version`; repositories write conditionally on it (optimistic concurrency).
Terminals live in `terminal.py` because they also carry runtime state and a password hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from monitoring.errors import InvalidInputError
from monitoring.registry._labels import LabelledEnum

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
_FACILITY_CODE = re.compile(r"^[A-Z]{1,4}[0-9]{2,6}$")
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")


def check_id(value: str, what: str) -> str:
    """Validate an identifier: 1–128 chars of [A-Za-z0-9._:-], starting alphanumeric."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidInputError(f"{what}: invalid identifier {value!r}")
    return value


def check_text(value: str, what: str, *, max_len: int = 200, required: bool = True) -> str:
    """Strip and bound a free-text field; reject control characters."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInputError(f"{what}: 不能为空")
    if len(text) > max_len:
        raise InvalidInputError(f"{what}: 超过 {max_len} 个字符")
    if any(ord(c) < 32 for c in text):
        raise InvalidInputError(f"{what}: 含有控制字符")
    return text


class TownKind(LabelledEnum):
    TOWN = ("town", "镇")
    STREET = ("street", "街道")
    DISTRICT = ("district", "区")


@dataclass(frozen=True, slots=True)
class County:
    """A county-level jurisdiction (县/县级市/区); one deployment may hold several."""

    county_id: str
    name: str
    city: str = ""
    province: str = ""

    def __post_init__(self) -> None:
        check_id(self.county_id, "county_id")
        check_text(self.name, "county name")


@dataclass(frozen=True, slots=True)
class Town:
    """A town or street office (镇/街道) inside a county."""

    town_id: str
    county_id: str
    name: str
    kind: TownKind = TownKind.TOWN

    def __post_init__(self) -> None:
        check_id(self.town_id, "town_id")
        check_id(self.county_id, "county_id")
        check_text(self.name, "town name")


@dataclass(frozen=True, slots=True)
class Branch:
    """An enforcement branch (执法一局…六局) of a county's bureau."""

    branch_id: str
    county_id: str
    name: str

    def __post_init__(self) -> None:
        check_id(self.branch_id, "branch_id")
        check_id(self.county_id, "county_id")
        check_text(self.name, "branch name")


class EnterpriseCategory(LabelledEnum):
    AIR_CONTROL = ("air_control", "大气管控企业")
    PERMIT = ("permit", "排污许可证企业")


class InstallStatus(LabelledEnum):
    """Installation progress; the order of declaration is the order of the campaign (附件2)."""

    PENDING_SURVEY = ("pending_survey", "待勘察")
    SURVEYED = ("surveyed", "已勘察")
    INSTALLED = ("installed", "已安装")
    NETWORKED = ("networked", "已联网")
    TRIAL_RUN = ("trial_run", "试运行")
    ACCEPTED = ("accepted", "已验收")
    FILED = ("filed", "已备案")

    @property
    def rank(self) -> int:
        return list(InstallStatus).index(self)


class ExemptionReason(LabelledEnum):
    LONG_TERM_SHUTDOWN = ("long_term_shutdown", "长期停产")
    TO_BE_CLOSED = ("to_be_closed", "拟关闭")
    UNSAFE = ("unsafe", "安全条件不允许")


class ContactRole(LabelledEnum):
    LEGAL_REPRESENTATIVE = ("legal_representative", "法定代表人")
    ENVIRONMENT_MANAGER = ("environment_manager", "环保负责人")
    ELECTRICIAN = ("electrician", "电工")
    OPERATOR = ("operator", "运维人员")
    OTHER = ("other", "其他")


@dataclass(frozen=True, slots=True)
class Contact:
    """A person to reach; `wechat_openid` is filled when the person binds the mini-program (later)."""

    name: str
    role: ContactRole
    phone: str = ""
    wechat_openid: str | None = None

    def __post_init__(self) -> None:
        check_text(self.name, "contact name", max_len=50)
        if self.phone and not _PHONE.match(self.phone):
            raise InvalidInputError(f"联系电话格式不正确: {self.phone!r}")


@dataclass(frozen=True, slots=True)
class Exemption:
    """Why an enterprise is exempt from installing, and who approved it."""

    reason: ExemptionReason
    approved_by: str
    approved_at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        check_text(self.approved_by, "exemption approver", max_len=100)


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One enterprise's archive (一企一档)."""

    enterprise_id: str
    county_id: str
    name: str
    town_id: str
    branch_id: str
    category: EnterpriseCategory
    credit_code: str = ""  # unified social credit code (统一社会信用代码), 18 chars when known
    permit_no: str = ""  # pollutant discharge permit number (排污许可证编号)
    industry: str = ""
    performance_grade: str = ""  # 绩效分级: A/B/C/D/引领性/绩效引领, as written by the bureau
    contacts: tuple[Contact, ...] = ()
    install_status: InstallStatus = InstallStatus.PENDING_SURVEY
    exemption: Exemption | None = None
    list_year: int | None = None  # the campaign list the enterprise came from (e.g. 2022)
    list_seq: int | None = None  # its 序号 in that list
    version: int = 0

    def __post_init__(self) -> None:
        check_id(self.enterprise_id, "enterprise_id")
        check_id(self.county_id, "county_id")
        check_id(self.town_id, "town_id")
        check_id(self.branch_id, "branch_id")
        check_text(self.name, "企业名称")
        if self.credit_code and not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", self.credit_code):
            raise InvalidInputError(f"统一社会信用代码格式不正确: {self.credit_code!r}")
        check_text(self.permit_no, "排污许可证编号", max_len=40, required=False)


class FacilityKind(LabelledEnum):
    PRODUCTION = ("production", "产污设施")
    CONTROL = ("control", "治污设施")
    MAIN_INCOMING = ("main_incoming", "总进线")
    COMBINED = ("combined", "产治一体")
    INDIRECT = ("indirect", "间接用电")


@dataclass(frozen=True, slots=True)
class Facility:
    """A piece of equipment or a line: production (MF0001), control (TA001), main incoming, combined, indirect."""

    facility_id: str
    enterprise_id: str
    code: str
    name: str
    kind: FacilityKind
    process: str = ""
    rated_power_kw: float | None = None
    rated_current_a: float | None = None
    version: int = 0

    def __post_init__(self) -> None:
        check_id(self.facility_id, "facility_id")
        check_id(self.enterprise_id, "enterprise_id")
        if not _FACILITY_CODE.match(self.code):
            raise InvalidInputError(f"设施编码格式不正确: {self.code!r}（示例：MF0001、TA001）")
        check_text(self.name, "设施名称")
        for value, what in ((self.rated_power_kw, "额定功率"), (self.rated_current_a, "额定电流")):
            if value is not None and not (0 < value < 1e6):
                raise InvalidInputError(f"{what}必须为正数: {value!r}")


class PointStatus(LabelledEnum):
    COMMISSIONING = ("commissioning", "调试")
    RUNNING = ("running", "运行")
    DISABLED = ("disabled", "停用")


@dataclass(frozen=True, slots=True)
class PointCodeParts:
    """The structured reading of a provincial point code; the Jiangsu format is unknown, so all optional."""

    permit_code: str = ""
    facility_code: str = ""
    circuit_no: str = ""


@dataclass(frozen=True, slots=True)
class MonitoringPoint:
    """A metered circuit: which terminal (MN) and channel measure it, with CT/PT ratios and its role."""

    point_id: str
    enterprise_id: str
    facility_id: str
    point_code: str  # as issued by the provincial registration, kept verbatim
    name: str
    role: FacilityKind
    mn: str | None = None  # the bound terminal; None until an installer binds one
    channel: str = ""  # the profile's channel (e.g. HJ 212 device suffix "01"); "" for single-channel terminals
    code_parts: PointCodeParts = field(default_factory=PointCodeParts)
    ct_ratio: float = 1.0
    pt_ratio: float = 1.0
    status: PointStatus = PointStatus.COMMISSIONING
    version: int = 0

    def __post_init__(self) -> None:
        check_id(self.point_id, "point_id")
        check_id(self.enterprise_id, "enterprise_id")
        check_id(self.facility_id, "facility_id")
        check_text(self.point_code, "点位编码", max_len=64)
        check_text(self.name, "点位名称")
        if self.mn is not None:
            check_mn(self.mn)
        if not re.fullmatch(r"[A-Za-z0-9]{0,8}", self.channel):
            raise InvalidInputError(f"通道号格式不正确: {self.channel!r}")
        for value, what in ((self.ct_ratio, "CT变比"), (self.pt_ratio, "PT变比")):
            if not (0 < value <= 100_000):
                raise InvalidInputError(f"{what}必须在 (0, 100000] 之间: {value!r}")


def check_mn(mn: str) -> str:
    """HJ 212 MN: 2017 uses 24 hex chars (EPC-96); older terminals send up to 14; accept 1–24 alphanumerics."""
    if not isinstance(mn, str) or not re.fullmatch(r"[A-Za-z0-9]{1,24}", mn):
        raise InvalidInputError(f"MN 格式不正确: {mn!r}")
    return mn


@dataclass(frozen=True, slots=True)
class AssociationParams:
    """Parameters of a treatment line consumed by the rules: when is a circuit "on", and how much slack to allow.

    Thresholds are kW; None means "derive from rated power / the learned baseline" (the rules engine decides).
    """

    production_on_kw: float | None = None
    control_on_kw: float | None = None
    low_load_ratio: float = 0.3  # control below this share of its baseline while production runs = 低负荷
    # 启动提前 / 停止滞后: how long control must already run before production starts / keep running after it
    # stops. None: the rules' defaults (docs/rules.md, family 3), which no honest practice trips; a line that
    # needs more (an RTO purged after production, a fan started well ahead) sets its own.
    start_lead_s: int | None = None
    stop_lag_s: int | None = None
    confirm_s: int = 600  # a condition must hold this long before it counts
    extra: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for value, what in ((self.production_on_kw, "产污开启阈值"), (self.control_on_kw, "治污开启阈值")):
            if value is not None and not (0 <= value < 1e6):
                raise InvalidInputError(f"{what}超出范围: {value!r}")
        if not (0 < self.low_load_ratio <= 1):
            raise InvalidInputError(f"低负荷比例必须在 (0, 1] 之间: {self.low_load_ratio!r}")
        for seconds, what in (
            (self.start_lead_s, "启动提前量"),
            (self.stop_lag_s, "停止滞后量"),
            (self.confirm_s, "确认时长"),
        ):
            if seconds is not None and not (0 <= seconds <= 86_400):
                raise InvalidInputError(f"{what}必须在 0–86400 秒之间: {seconds!r}")
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))


@dataclass(frozen=True, slots=True)
class Association:
    """A treatment line (治理线): one control facility and the production facilities it must run with."""

    association_id: str
    enterprise_id: str
    name: str
    control_facility_id: str
    production_facility_ids: tuple[str, ...]
    params: AssociationParams = field(default_factory=AssociationParams)
    version: int = 0

    def __post_init__(self) -> None:
        check_id(self.association_id, "association_id")
        check_id(self.enterprise_id, "enterprise_id")
        check_text(self.name, "治理线名称")
        check_id(self.control_facility_id, "control_facility_id")
        if not self.production_facility_ids:
            raise InvalidInputError("治理线至少需要一个产污设施")
        for fid in self.production_facility_ids:
            check_id(fid, "production_facility_id")
        if self.control_facility_id in self.production_facility_ids:
            raise InvalidInputError("治污设施不能同时作为本治理线的产污设施")
