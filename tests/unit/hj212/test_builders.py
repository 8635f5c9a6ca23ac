"""The generated builders (builders.py): made from value positions alone, shared by layouts of one structure."""

from __future__ import annotations

import pytest

from hj212 import LayoutCache
from hj212.builders import builder

pytestmark = pytest.mark.unit


def test_builder_puts_each_value_under_its_name_whatever_the_names_hold() -> None:
    # Given names no source code could hold as written, and values in an order of the structure's choosing
    structure = ((0, 1), (5,), ((3, 6), (4,)))
    names = ("QN", "CN", "'''\"\x00}", "i1", "i2", "Flag", "Info", "Info")  # header, scalars, codes, fields
    values = ["1", "2011", "", "v3", "v4", "v5", "v6"]
    # Then the header, scalars and items hold exactly those names and values
    assert builder(structure)(names, values) == (
        {"QN": "1", "CN": "2011"},
        {"'''\"\x00}": "v5"},
        {"i1": {"Flag": "v3", "Info": "v6"}, "i2": {"Info": "v4"}},
    )


def test_layouts_of_one_structure_share_one_builder() -> None:
    # Given two terminals' layouts that differ in names only
    a = "QN=1;ST=32;CN=2011;Flag=4;CP=&&DataTime=1;Ia-Rtd=2,Ia-Flag=N&&"
    b = "QN=1;ST=32;CN=2061;Flag=4;CP=&&BeginTime=1;Ub-Avg=2,Ub-Flag=N&&"
    layouts = LayoutCache()
    for _ in range(2):
        layouts.split(a)
        layouts.split(b)
    plans = list(layouts._plans.values())
    # Then both are planned, with one builder between them (no code is made per layout or per name)
    assert len(plans) == 2 and all(plans)
    assert plans[0].build is plans[1].build  # type: ignore[union-attr]
    header = {"QN": "1", "ST": "32", "CN": "2061", "Flag": "4"}
    assert layouts.split(b) == (header, {"BeginTime": "1"}, {"Ub": {"Avg": "2", "Flag": "N"}})
