"""The dependency rules of DESIGN.md §3 / STYLE.md §7.2, checked on the source's AST.

A violation fails the build. Each rule names a package (or sub-path) and the imports it must never make;
an `allow` list carves out the composition roots and adapters the design permits.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("hj212", "monitoring", "iot_ingest", "functions", "miniprogram_api", "infra", "local", "simulator")
AWS = ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", "chalice", "aws_cdk", "cdk_nag", "constructs")


@dataclass(frozen=True)
class Rule:
    package: str
    forbidden: tuple[str, ...]
    allow: dict[str, tuple[str, ...]] = field(default_factory=dict)  # relative path prefix -> allowed prefixes


RULES = [
    Rule("hj212", tuple(p for p in OURS if p != "hj212") + AWS + ("asyncio", "socket", "logging.config")),
    Rule(
        "monitoring",
        ("iot_ingest", "functions", "miniprogram_api", "infra", "local", "simulator", "sqlite3")
        + ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", "chalice"),
        allow={
            "monitoring/storage/sqlite": ("sqlite3",),
            "monitoring/storage/dynamodb": ("boto3", "botocore", "pynamodb"),
        },
    ),
    Rule(
        "iot_ingest",
        ("monitoring", "functions", "miniprogram_api", "infra", "local", "simulator", "chalice", "boto3", "botocore"),
        allow={
            # the entry point and the adapters it (and local/) wires: the registry, command store and events
            "iot_ingest/__main__.py": ("monitoring",),
            "iot_ingest/adapters/": ("monitoring",),
            "iot_ingest/sinks/kinesis.py": ("boto3", "botocore"),
        },
    ),
    Rule(
        "functions",
        (
            "monitoring.storage.sqlite",
            "monitoring.storage.dynamodb",
            "chalice",
            "iot_ingest",
            "local",
            "boto3",
            "botocore",
        ),
        allow={
            "functions/_wiring.py": ("monitoring.storage.sqlite", "monitoring.storage.dynamodb", "boto3"),
            "functions/adapters": ("boto3", "botocore"),
        },
    ),
    Rule("miniprogram_api", ("boto3", "botocore", "pynamodb", "functions", "iot_ingest", "local", "simulator")),
    Rule("infra", ("hj212", "iot_ingest", "functions", "miniprogram_api", "local", "simulator", "pynamodb", "boto3")),
    Rule("simulator", ("monitoring", "iot_ingest", "functions", "miniprogram_api", "infra", "local")),
]
NOBODY_IMPORTS = ("local",)
# infra may read key/index names, nothing else of the runtime.
INFRA_MONITORING_ALLOWED = ("monitoring.storage.dynamodb.schema",)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


# Generated trees, not source: `make synth` stages copies of the runtime packages under infra/cdk.out/.
GENERATED = ("infra/cdk.out/",)


def _sources(base: Path) -> list[Path]:
    paths = sorted(base.rglob("*.py")) if base.exists() else []
    return [p for p in paths if not p.relative_to(ROOT).as_posix().startswith(GENERATED)]


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(rule: Rule) -> list[str]:
    found = []
    base = ROOT / rule.package
    for path in _sources(base):
        rel = path.relative_to(ROOT).as_posix()
        allowed = [p for prefix, ps in rule.allow.items() if rel.startswith(prefix) for p in ps]
        for name in _imports(path):
            if any(_matches(name, a) for a in allowed):
                continue
            if rule.package == "infra" and any(_matches(name, a) for a in INFRA_MONITORING_ALLOWED):
                continue
            if rule.package == "infra" and _matches(name, "monitoring"):
                found.append(f"{rel}: imports {name}")
                continue
            found.extend(f"{rel}: imports {name}" for bad in rule.forbidden if _matches(name, bad))
    return found


@pytest.mark.unit
@pytest.mark.parametrize("rule", RULES, ids=[r.package for r in RULES])
def test_package_respects_its_import_rules(rule: Rule) -> None:
    assert _violations(rule) == []


@pytest.mark.unit
def test_no_package_imports_the_local_composition_root() -> None:
    bad = []
    for pkg in OURS:
        if pkg == "local" or not (ROOT / pkg).exists():
            continue
        for path in _sources(ROOT / pkg):
            bad += [
                f"{path.relative_to(ROOT)}: {n}" for n in _imports(path) if any(_matches(n, x) for x in NOBODY_IMPORTS)
            ]
    assert bad == []


# The listener↔domain contract (docs/contracts.md §2) is defined once, in hj212.contract; nobody redefines it.
CONTRACT_NAMES = ("AuthStatus", "CommandStatus", "FrameRecord", "REPLY_CNS")


def _definitions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for node in ast.walk(tree):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        names.extend(t.id for t in targets if isinstance(t, ast.Name))
    return names


@pytest.mark.unit
def test_the_listener_domain_contract_is_defined_once() -> None:
    found = []
    for pkg in OURS:
        for path in _sources(ROOT / pkg):
            found += [f"{path.relative_to(ROOT)}: {n}" for n in _definitions(path) if n in CONTRACT_NAMES]
    # iot_ingest.ports keeps its wire-form alias `FrameRecord = dict[str, Any]` (the JSON object, not a second type).
    assert sorted(found) == [
        "hj212/catalogue.py: REPLY_CNS",
        "hj212/contract.py: AuthStatus",
        "hj212/contract.py: CommandStatus",
        "hj212/contract.py: FrameRecord",
        "iot_ingest/ports.py: FrameRecord",
    ]


@pytest.mark.unit
def test_command_codes_outside_hj212_are_named_constants() -> None:
    # `hj212.CN.DATA_ACK`, not "9014": a code written out by hand is a code nobody can grep for or check.
    from hj212 import CN_CODES

    bad = []
    for pkg in OURS:
        if pkg == "hj212":
            continue
        for path in _sources(ROOT / pkg):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            bad += [
                f"{path.relative_to(ROOT)}:{n.lineno}: {n.value!r}"
                for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in CN_CODES
            ]
    assert bad == []


@pytest.mark.unit
def test_hj212_imports_only_the_standard_library() -> None:
    # Both sides import hj212 (and its contract module); it must stay free of third-party dependencies.
    bad = []
    for path in _sources(ROOT / "hj212"):
        tops = {n.split(".")[0] for n in _imports(path)}
        bad += [f"{path.relative_to(ROOT)}: {t}" for t in tops if t not in sys.stdlib_module_names]
    assert bad == []


@pytest.mark.unit
def test_rule_checker_detects_a_violation(tmp_path: Path) -> None:
    # Given a file that imports something forbidden, the checker must see it (the test can fail).
    f = tmp_path / "x.py"
    f.write_text("import boto3\nfrom monitoring.storage import sqlite\n", encoding="utf-8")
    assert _imports(f) == ["boto3", "monitoring.storage", "monitoring.storage.sqlite"]
