"""Message templates kept as data (data/notify_templates.json), checked against the providers' template rules when
loaded, and rendered per channel into `OutgoingMessage` parts: params, full text, mini-program page."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitoring.errors import InvalidInputError
from monitoring.notify.ports import ChannelKind

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "notify_templates.json"
VAR = re.compile(r"\$\{([a-z_]+)\}")
_FORBIDDEN = ("【", "】", "http://", "https://", "¥", "★")
# WeChat subscribe-message field types and their value limits (characters).
WECHAT_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "number": 32, "letter": 32, "symbol": 5, "name": 10}
SMS_VAR_CEILING = 35  # Aliyun's per-variable limit for notification templates
_WECHAT_TYPE = re.compile(r"([a-z_]+?)\d+$")


@dataclass(frozen=True, slots=True)
class Rendered:
    template: str
    params: dict[str, str]
    text: str
    page: str = ""


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    sms: str
    wechat_pages: Mapping[str, str]  # audience group (enterprise, branch, installer, other) → page
    wechat_data: Mapping[str, str]
    wecom: str

    def page_for(self, audience: str) -> str:
        return self.wechat_pages.get(page_group(audience), self.wechat_pages.get("other", ""))

    @property
    def sms_vars(self) -> list[str]:
        return VAR.findall(self.sms)


_PAGE_GROUPS = {
    "enterprise_contacts": "enterprise",
    "enterprise_accounts": "enterprise",
    "branch_staff": "branch",
    "installer": "installer",
    "service_provider": "installer",
}


def page_group(audience: str) -> str:
    """Which of a template's pages an audience opens: its own role's pages in the mini-program, else "other"."""
    return _PAGE_GROUPS.get(audience, "other")


def cut(value: str, limit: int) -> str:
    """`value` within `limit` characters, ending in "…" when cut."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _fill(text: str, values: Mapping[str, str], limit: int | None = None) -> str:
    def one(m: re.Match[str]) -> str:
        value = values.get(m.group(1), "")
        return value if limit is None else cut(value, limit)

    return VAR.sub(one, text)


def _pages(spec: object) -> dict[str, str]:
    if isinstance(spec, str):
        return {"other": spec} if spec else {}
    if isinstance(spec, Mapping):
        return {str(k): str(v) for k, v in spec.items()}
    raise InvalidInputError("notify template: a WeChat page is a string or an audience group → page mapping")


class TemplateBook:
    """The loaded templates and limits; `render` builds what one channel sends."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        limits = data.get("limits", {})
        self.sms_var_max = int(limits.get("sms_var_max", 20))
        # variables allowed more (Aliyun takes ≤ 35 per variable): an emergency's measures must not be cut
        self.sms_var_limits = {str(k): int(v) for k, v in dict(limits.get("sms_var_max_by_name", {})).items()}
        if any(not 1 <= v <= SMS_VAR_CEILING for v in self.sms_var_limits.values()):
            raise InvalidInputError(f"notify templates: sms_var_max_by_name values must be 1-{SMS_VAR_CEILING}")
        self.sms_total_max = int(limits.get("sms_total_max", 500))
        self.sms_sign = str(limits.get("sms_sign", ""))
        self.templates: dict[str, Template] = {}
        for name, spec in dict(data.get("templates", {})).items():
            wechat = spec.get("wechat_subscribe", {})
            template = Template(
                name=name,
                sms=str(spec["sms"]),
                wechat_pages=_pages(wechat.get("page", "")),
                wechat_data={str(k): str(v) for k, v in dict(wechat.get("data", {})).items()},
                wecom=str(spec.get("wecom_robot", spec["sms"])),
            )
            self._check(template)
            self.templates[name] = template

    def _check(self, t: Template) -> None:
        where = f"notify template {t.name!r}"
        if any(bad in t.sms for bad in _FORBIDDEN):
            raise InvalidInputError(f"{where}: SMS text must not contain 【】, links or special symbols")
        if re.search(r"\}\$\{", t.sms):
            raise InvalidInputError(f"{where}: two SMS variables must not be adjacent")
        if not t.sms_vars or not VAR.sub("", t.sms).strip():
            raise InvalidInputError(f"{where}: an SMS template needs fixed text and at least one variable")
        longest = len(VAR.sub("", t.sms)) + sum(map(self.var_max, t.sms_vars)) + len(self.sms_sign) + 2
        if longest > self.sms_total_max:
            raise InvalidInputError(f"{where}: may reach {longest} characters, over {self.sms_total_max}")
        for key in t.wechat_data:
            m = _WECHAT_TYPE.fullmatch(key)
            if m is None or (m.group(1) not in WECHAT_LIMITS and m.group(1) not in ("time", "date")):
                raise InvalidInputError(f"{where}: unknown WeChat data key {key!r}")

    def var_max(self, variable: str) -> int:
        """How many characters SMS variable `variable` may carry."""
        return self.sms_var_limits.get(variable, self.sms_var_max)

    @classmethod
    def load(cls, path: Path | None = None) -> TemplateBook:
        return cls(json.loads((path or DEFAULT_PATH).read_text(encoding="utf-8")))

    def get(self, name: str) -> Template:
        try:
            return self.templates[name]
        except KeyError:
            raise InvalidInputError(f"no notify template {name!r}") from None

    def render(self, name: str, kind: ChannelKind, values: Mapping[str, str], audience: str = "") -> Rendered:
        """`audience` picks the subscribe message's page (an enterprise opens its respond page, a branch its
        verify page)."""
        t = self.get(name)
        if kind in (ChannelKind.SMS, ChannelKind.SNS_SMS):
            params = {v: cut(values.get(v, ""), self.var_max(v)) for v in dict.fromkeys(t.sms_vars)}
            text = _fill(t.sms, params)
            if kind is ChannelKind.SNS_SMS and self.sms_sign:
                text = f"【{self.sms_sign}】{text}"  # SNS has no signature of its own
            return Rendered(name, params, text)
        if kind is ChannelKind.WECHAT_SUBSCRIBE:
            data = {}
            for key, source in t.wechat_data.items():
                kind_name = _WECHAT_TYPE.fullmatch(key).group(1)  # type: ignore[union-attr]  # checked on load
                value = _fill(source, values)
                data[key] = cut(value, WECHAT_LIMITS[kind_name]) if kind_name in WECHAT_LIMITS else value
            return Rendered(name, data, _fill(t.sms, values), _fill(t.page_for(audience), values))
        return Rendered(name, {}, _fill(t.wecom, values))
