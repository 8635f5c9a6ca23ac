"""Enterprise list (search, filters, scope, cursor), the 一企一档 file and bureau edits."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from monitoring.accounts.models import Role
from monitoring.accounts.service import create_account
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.registry.models import Contact, ContactRole, ExemptionReason, InstallStatus
from monitoring.rules.state_docs import EnterpriseStatus
from monitoring.views.enterprise_edit import EnterpriseEdit, edit_enterprise
from monitoring.views.enterprises import EnterpriseFilter, enterprise_file, list_enterprises
from tests.unit.monitoring.views.world import NOW, world

pytestmark = pytest.mark.unit


def _ids(page: object) -> list[str]:
    return [r.enterprise.enterprise_id for r in page.items]  # type: ignore[attr-defined]


def test_search_matches_chinese_name_and_credit_code_substrings() -> None:
    s = world()
    assert _ids(list_enterprises(s, "rugao", EnterpriseFilter(q="金属"), visible=None, now=NOW)) == ["e2"]
    assert _ids(list_enterprises(s, "rugao", EnterpriseFilter(q="ma1mx"), visible=None, now=NOW)) == ["e1"]
    assert _ids(list_enterprises(s, "rugao", EnterpriseFilter(q="有限公司"), visible=None, now=NOW)) == ["e1", "e3"]
    assert _ids(list_enterprises(s, "rugao", EnterpriseFilter(q="' OR 1=1 --"), visible=None, now=NOW)) == []


def test_filters_by_town_branch_and_scope() -> None:
    s = world()
    assert _ids(list_enterprises(s, "rugao", EnterpriseFilter(town_id="rugao-jiangan"), visible=None, now=NOW)) == [
        "e2"
    ]
    assert _ids(list_enterprises(s, "rugao", EnterpriseFilter(branch_id="rugao-b1"), visible=None, now=NOW)) == [
        "e1",
        "e3",
    ]
    scoped = list_enterprises(s, "rugao", EnterpriseFilter(), visible=frozenset({"e2", "e3"}), now=NOW)
    assert _ids(scoped) == ["e2", "e3"]


def test_status_filter_reads_the_engine_status_and_stale_status_is_unknown() -> None:
    s = world()
    EnterpriseStatus("e1", NOW - timedelta(minutes=3), "producing", ("p1",), (), (), 80.0, 15.0).save(s.rule_state)
    EnterpriseStatus("e2", NOW - timedelta(hours=1), "producing", (), (), (), 0.0, 0.0).save(s.rule_state)
    producing = list_enterprises(s, "rugao", EnterpriseFilter(status="producing"), visible=None, now=NOW)
    assert _ids(producing) == ["e1"]
    unknown = list_enterprises(s, "rugao", EnterpriseFilter(status="unknown"), visible=None, now=NOW)
    assert _ids(unknown) == ["e2", "e3"]
    with pytest.raises(InvalidInputError):
        EnterpriseFilter(status="dancing")


def test_cursor_pages_through_every_enterprise_once() -> None:
    s = world()
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = list_enterprises(s, "rugao", EnterpriseFilter(), visible=None, now=NOW, limit=2, cursor=cursor)
        seen += _ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["e1", "e2", "e3"]
    for bad in ("x", "1|", "abc|e1", "1|../../etc", "9" * 40 + "|e1"):
        with pytest.raises(InvalidInputError, match="游标"):
            list_enterprises(s, "rugao", EnterpriseFilter(), visible=None, now=NOW, cursor=bad)
    with pytest.raises(InvalidInputError):
        list_enterprises(s, "rugao", EnterpriseFilter(), visible=None, now=NOW, limit=0)


def test_file_resolves_lines_points_and_terminals() -> None:
    f = enterprise_file(world(), "e1", visible=None, now=NOW)
    assert [p.point_id for p in f.points] == ["p1", "p2"]
    (line,) = f.lines
    assert line.control is not None and line.control.code == "TA001"
    assert [p.code for p in line.production] == ["MF0001"]
    assert [t.mn for t in f.terminals] == ["MN0001"]
    assert f.row.town is not None and f.row.town.name == "城北街道"
    assert f.row.status == "unknown"


def test_file_names_the_installers_of_the_enterprise_or_of_its_terminals() -> None:
    s = world()
    by = {"enterprise_ids": ("e1",), "terminal_mns": ()}, {"enterprise_ids": (), "terminal_mns": ("MN0001",)}
    for name, scope in zip(("by_ent", "by_mn"), by, strict=True):
        create_account(
            s.accounts,
            NOW,
            username=name,
            display_name=name,
            role=Role.INSTALLER,
            county_id="rugao",
            enterprise_ids=scope["enterprise_ids"],
            terminal_mns=scope["terminal_mns"],
        )
    create_account(
        s.accounts,
        NOW,
        username="other",
        display_name="o",
        role=Role.INSTALLER,
        county_id="rugao",
        enterprise_ids=("e2",),
    )
    gone = create_account(
        s.accounts,
        NOW,
        username="gone",
        display_name="g",
        role=Role.INSTALLER,
        county_id="rugao",
        enterprise_ids=("e1",),
    )
    s.accounts.put_account(dataclasses.replace(gone, disabled=True))
    f = enterprise_file(s, "e1", visible=None, now=NOW)
    assert sorted(a.username for a in f.installers) == ["by_ent", "by_mn"]


def test_file_outside_scope_or_missing_is_not_found() -> None:
    s = world()
    with pytest.raises(NotFoundError):
        enterprise_file(s, "e1", visible=frozenset({"e2"}), now=NOW)
    with pytest.raises(NotFoundError):
        enterprise_file(s, "nope", visible=None, now=NOW)
    with pytest.raises(InvalidInputError):
        enterprise_file(s, "../e1", visible=None, now=NOW)


def test_edit_applies_fields_and_bumps_the_version() -> None:
    s = world()
    v = s.registry.get_enterprise("e1").version
    contact = Contact("张三", ContactRole.ENVIRONMENT_MANAGER, "13800000000")
    edit = EnterpriseEdit(industry="化工", contacts=(contact,), town_id="rugao-jiangan")
    e = edit_enterprise(s, "e1", v, edit, visible=None, editor="王科长", now=NOW)
    assert (e.industry, e.contacts, e.town_id, e.version) == ("化工", (contact,), "rugao-jiangan", v + 1)
    assert s.registry.get_enterprise("e1") == e


def test_edit_with_a_stale_version_is_a_conflict_and_changes_nothing() -> None:
    s = world()
    v = s.registry.get_enterprise("e1").version
    edit_enterprise(s, "e1", v, EnterpriseEdit(industry="化工"), visible=None, editor="a", now=NOW)
    with pytest.raises(ConflictError, match="刷新"):
        edit_enterprise(s, "e1", v, EnterpriseEdit(industry="纺织"), visible=None, editor="b", now=NOW)
    assert s.registry.get_enterprise("e1").industry == "化工"


@pytest.mark.parametrize(
    "edit",
    [
        EnterpriseEdit(town_id="rugao-nowhere"),
        EnterpriseEdit(branch_id="rugao-b9"),
        EnterpriseEdit(credit_code="123"),
        EnterpriseEdit(name="   "),
        EnterpriseEdit(install_status=InstallStatus.INSTALLED),  # skips 已勘察
        EnterpriseEdit(exemption_reason=ExemptionReason.UNSAFE, revoke_exemption=True),
        EnterpriseEdit(industry="x" * 101),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(edit: EnterpriseEdit) -> None:
    s = world()
    before = s.registry.get_enterprise("e1")
    with pytest.raises(InvalidInputError):
        edit_enterprise(s, "e1", before.version, edit, visible=None, editor="a", now=NOW)
    assert s.registry.get_enterprise("e1") == before


def test_exemption_is_granted_by_the_editor_and_blocks_install_progress() -> None:
    s = world()
    v = s.registry.get_enterprise("e1").version
    e = edit_enterprise(
        s,
        "e1",
        v,
        EnterpriseEdit(exemption_reason=ExemptionReason.TO_BE_CLOSED),
        visible=None,
        editor="王科长",
        now=NOW,
    )
    assert e.exemption is not None and (e.exemption.approved_by, e.exemption.approved_at) == ("王科长", NOW)
    with pytest.raises(InvalidInputError, match="豁免"):
        edit_enterprise(
            s, "e1", e.version, EnterpriseEdit(install_status=InstallStatus.SURVEYED), visible=None, editor="a", now=NOW
        )


def test_edit_outside_scope_is_not_found() -> None:
    s = world()
    with pytest.raises(NotFoundError):
        edit_enterprise(s, "e1", 1, EnterpriseEdit(industry="x"), visible=frozenset({"e2"}), editor="a", now=NOW)
