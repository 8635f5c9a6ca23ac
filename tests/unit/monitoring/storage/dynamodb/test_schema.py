"""schema.py is what the CDK app deploys: it must stay stdlib-only and self-consistent."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from monitoring.storage.dynamodb import schema

pytestmark = pytest.mark.unit

SCHEMA_PATH = Path(schema.__file__)


def test_schema_imports_only_the_stdlib() -> None:
    # Given the schema module's source
    tree = ast.parse(SCHEMA_PATH.read_text(encoding="utf-8"))
    modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    # Then every import is from the standard library (or __future__)
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}


def test_schema_package_init_files_import_nothing() -> None:
    # Given the __init__ files infra loads on its way to schema.py
    root = SCHEMA_PATH.parents[3]
    inits = [root / "monitoring" / "__init__.py", root / "monitoring" / "storage" / "__init__.py"]
    inits.append(SCHEMA_PATH.parent / "__init__.py")
    for path in inits:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Then none imports anything at module level beyond typing (so synth pulls in no runtime dependency)
        imported = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        assert all(isinstance(n, ast.ImportFrom) and n.module in ("typing", "__future__") for n in imported), path


def test_schema_tables_have_unique_names_and_declared_index_keys() -> None:
    names = [spec.logical_name for spec in schema.TABLES]
    assert len(names) == len(set(names))
    for spec in schema.TABLES:
        assert schema.TABLES_BY_NAME[spec.logical_name] is spec
        index_names = [index.name for index in spec.indexes]
        assert len(index_names) == len(set(index_names))
        for index in spec.indexes:
            assert index.partition_key not in (spec.partition_key, spec.sort_key)


def test_schema_time_series_tables_carry_a_ttl() -> None:
    for name in (schema.READINGS, schema.EVENTS, schema.ARCHIVE):
        assert schema.TABLES_BY_NAME[name].ttl_attribute == schema.TTL_ATTRIBUTE
    assert schema.BILLING_MODE == "PAY_PER_REQUEST"
