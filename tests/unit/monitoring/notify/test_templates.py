"""Templates as data: the shipped file obeys the SMS template rules, variables are cut to the per-variable
limit, WeChat fields to their type's limit, and a template breaking a rule is refused on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitoring.errors import InvalidInputError
from monitoring.notify.ports import ChannelKind
from monitoring.notify.templates import TemplateBook

APP_JSON = Path(__file__).resolve().parents[4] / "miniprogram" / "app" / "app.json"
AUDIENCES = (
    "enterprise_contacts",
    "enterprise_accounts",
    "installer",
    "branch_staff",
    "town_officials",
    "emergency_staff",
    "air_staff",
)
VALUES = {
    "enterprise": "如皋市某某精细化工股份有限公司第二生产分厂",  # over 20 characters
    "rule": "治污设施停运（未与产污设施同步运行）",
    "time": "2026-12-06 10:41",
    "alarm_id": "A1",
}


def test_shipped_templates_load_and_render_sms_within_limits() -> None:
    book = TemplateBook.load()
    assert {"alarm_raised", "alarms_raised_many", "pending_many", "daily_digest"} <= set(book.templates)
    r = book.render("alarm_raised", ChannelKind.SMS, VALUES)
    assert list(r.params) == ["enterprise", "time", "rule"]  # the template's order (Tencent is positional)
    assert all(len(v) <= book.sms_var_max for v in r.params.values())
    assert r.params["enterprise"].endswith("…") and r.params["time"] == "2026-12-06 10:41"
    assert r.text.startswith(r.params["enterprise"] + "于2026-12-06 10:41")
    assert "${" not in r.text and len(r.text) + len(book.sms_sign) + 2 <= 500


def test_a_variable_may_have_its_own_limit_up_to_aliyuns_35() -> None:
    book = TemplateBook.load()
    assert book.var_max("measures") == 35 and book.var_max("enterprise") == book.sms_var_max
    long = "停3条线，用电≤基线30%，0-6、12-14、20-24时停产，另须关停全部锅炉"
    r = book.render("emergency_published", ChannelKind.SMS, {**VALUES, "measures": long, "level": "红色"})
    assert len(r.params["measures"]) == 35 and r.params["measures"].endswith("…")
    with pytest.raises(InvalidInputError, match="1-35"):
        TemplateBook({"limits": {"sms_var_max_by_name": {"measures": 36}}, "templates": {}})


def test_wechat_fields_are_cut_to_their_type_and_the_page_links_the_alarm() -> None:
    r = TemplateBook.load().render("alarm_raised", ChannelKind.WECHAT_SUBSCRIBE, VALUES, "enterprise_contacts")
    assert r.page == "pages/enterprise/respond/respond?id=A1"
    assert set(r.params) == {"thing1", "thing2", "time3", "thing4"}
    assert len(r.params["thing1"]) == 20 and r.params["time3"] == "2026-12-06 10:41"


def test_the_page_is_chosen_by_audience() -> None:
    book = TemplateBook.load()
    page = {a: book.render("dispatched", ChannelKind.WECHAT_SUBSCRIBE, VALUES, a).page for a in AUDIENCES}
    assert page["enterprise_accounts"] == "pages/enterprise/respond/respond?id=A1"
    assert page["branch_staff"] == "pages/branch/verify/verify?id=A1"
    assert page["town_officials"] == "pages/login/login"
    assert book.render("emergency_published", ChannelKind.WECHAT_SUBSCRIBE, VALUES, "enterprise_contacts").page == (
        "pages/enterprise/emergency/emergency"
    )


def test_every_template_page_is_a_page_of_the_mini_program() -> None:
    """WeChat answers 41030 to a subscribe message whose page app.json does not declare."""
    pages = set(json.loads(APP_JSON.read_text(encoding="utf-8"))["pages"])
    book = TemplateBook.load()
    for name, template in book.templates.items():
        if not template.wechat_data:
            continue  # SMS only (e.g. login codes): never a subscribe message
        for audience in AUDIENCES:
            page = book.render(name, ChannelKind.WECHAT_SUBSCRIBE, VALUES, audience).page
            assert page and page.split("?", 1)[0] in pages, (name, audience, page)


def test_wecom_gets_markdown_and_sns_carries_the_signature() -> None:
    book = TemplateBook.load()
    assert book.render("alarm_raised", ChannelKind.WECOM_ROBOT, VALUES).text.startswith("**工况用电报警**")
    assert book.render("alarm_raised", ChannelKind.SNS_SMS, VALUES).text.startswith(f"【{book.sms_sign}】")


@pytest.mark.parametrize(
    "sms",
    ["【签名】${a}报警", "${a}${b}报警", "${a}详见https://x.cn", "没有变量的模板", "${a}" + "字" * 480],
)
def test_a_template_breaking_a_provider_rule_is_refused(sms: str) -> None:
    with pytest.raises(InvalidInputError):
        TemplateBook({"limits": {"sms_var_max": 20, "sms_sign": "如皋"}, "templates": {"t": {"sms": sms}}})


def test_unknown_wechat_field_type_is_refused() -> None:
    spec = {"sms": "${a}报警", "wechat_subscribe": {"data": {"colour1": "${a}"}}}
    with pytest.raises(InvalidInputError):
        TemplateBook({"templates": {"t": spec}})
