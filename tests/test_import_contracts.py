"""The dependency rules of DESIGN.md §3 / STYLE.md §7.2, checked on the source's AST.

A violation fails the build. Each rule names a package (or sub-path) and the imports it must never make;
an `allow` list carves out the composition roots and adapters the design permits.
"""

from __future__ import annotations

import ast
import re
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
    exempt: tuple[str, ...] = ()  # allowed everywhere in the package although a forbidden prefix covers them


RULES = [
    Rule("hj212", tuple(p for p in OURS if p != "hj212") + AWS + ("asyncio", "socket", "logging.config")),
    Rule(
        "monitoring",
        ("iot_ingest", "functions", "miniprogram_api", "infra", "local", "simulator", "sqlite3")
        + ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", "chalice"),
        allow={
            "monitoring/storage/sqlite": ("sqlite3",),
            "monitoring/storage/dynamodb": ("boto3", "botocore", "pynamodb"),
            "monitoring/storage/photo_blobs/s3.py": ("boto3", "botocore"),
            "monitoring/storage/archive_s3.py": ("boto3", "botocore"),
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
        # Every storage adapter (memory included) and the rules' in-memory inputs: only the wiring picks one.
        ("monitoring.storage", "monitoring.rules.inputs", "chalice", "iot_ingest", "local", "boto3", "botocore"),
        allow={
            "functions/_wiring.py": ("monitoring.storage", "boto3"),
            "functions/adapters": ("boto3", "botocore"),
            # the operator's redrive keys records as the listener's sink does (its stream_keys)
            "functions/adapters/redrive.py": ("iot_ingest.sinks.kinesis",),
        },
        exempt=("monitoring.storage.ports",),
    ),
    Rule(
        "miniprogram_api",
        ("boto3", "botocore", "pynamodb", "functions", "iot_ingest", "local", "simulator", "monitoring.storage")
        + ("monitoring.rules.inputs",),
        # wiring.py also reads the API's secrets (Secrets Manager, SSM) at cold start.
        allow={"miniprogram_api/chalicelib/wiring.py": ("monitoring.storage", "boto3", "botocore")},
        exempt=("monitoring.storage.ports",),
    ),
    Rule(
        "infra",
        ("hj212", "iot_ingest", "functions", "miniprogram_api", "local", "simulator", "pynamodb", "boto3"),
        allow={"infra/secret_parameters.py": ("boto3",)},  # the operator's helper that puts SSM SecureStrings
    ),
    Rule("simulator", ("monitoring", "iot_ingest", "functions", "miniprogram_api", "infra", "local")),
    # The composition root does not depend on the demo and its tooling; only the entry point wires its commands.
    Rule("local", ("local.demo",), allow={"local/__main__.py": ("local.demo",), "local/demo/": ("local.demo",)}),
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


def _sources(base: Path, root: Path = ROOT) -> list[Path]:
    paths = sorted(base.rglob("*.py")) if base.exists() else []
    return [p for p in paths if not p.relative_to(root).as_posix().startswith(GENERATED)]


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(rule: Rule, root: Path = ROOT) -> list[str]:
    found = []
    base = root / rule.package
    for path in _sources(base, root):
        rel = path.relative_to(root).as_posix()
        allowed = [p for prefix, ps in rule.allow.items() if rel.startswith(prefix) for p in ps] + list(rule.exempt)
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
    # A folder planned but not written yet is skipped visibly; its rule checks from the day it appears.
    if not (ROOT / rule.package).exists():
        pytest.skip(f"{rule.package}/ does not exist yet")
    assert _sources(ROOT / rule.package), f"{rule.package}/ exists but holds no Python source to check"
    assert _violations(rule) == []


@pytest.mark.unit
def test_functions_rule_refuses_any_storage_adapter_outside_the_wiring(tmp_path: Path) -> None:
    (tmp_path / "functions" / "adapters").mkdir(parents=True)
    handler = "from monitoring.storage.ports import Store\nfrom monitoring.storage.memory import memory_store\n"
    (tmp_path / "functions" / "handler.py").write_text(handler, encoding="utf-8")
    wiring = "from monitoring.storage.rules_memory import MemoryRulesStores\nfrom monitoring.storage import sqlite\n"
    (tmp_path / "functions" / "_wiring.py").write_text(wiring, encoding="utf-8")
    (tmp_path / "functions" / "adapters" / "x.py").write_text("from monitoring.rules.inputs import X\n", "utf-8")
    (rule,) = [r for r in RULES if r.package == "functions"]
    assert _violations(rule, tmp_path) == [
        "functions/adapters/x.py: imports monitoring.rules.inputs",
        "functions/adapters/x.py: imports monitoring.rules.inputs.X",
        "functions/handler.py: imports monitoring.storage.memory",
        "functions/handler.py: imports monitoring.storage.memory.memory_store",
    ]


def _foreign_imports(path: Path) -> list[str]:
    """Top-level packages imported that are neither the standard library nor hj212 itself (relative imports aside)."""
    tops = dict.fromkeys(n.split(".")[0] for n in _imports(path))
    return [t for t in tops if t not in sys.stdlib_module_names and t != "hj212"]


@pytest.mark.unit
def test_hj212_imports_only_the_standard_library() -> None:
    # Both sides import hj212 (and its contract module); it must stay free of third-party dependencies.
    bad = [f"{p.relative_to(ROOT)}: {n}" for p in _sources(ROOT / "hj212") for n in _foreign_imports(p)]
    assert bad == []


@pytest.mark.unit
def test_stdlib_checker_sees_a_third_party_import(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text("import json\nfrom hj212 import crc\nimport yaml\nfrom pydantic import BaseModel\n", encoding="utf-8")
    assert _foreign_imports(f) == ["yaml", "pydantic"]


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
def test_rule_checker_detects_a_violation(tmp_path: Path) -> None:
    # Given a file that imports something forbidden, the checker must see it (the test can fail).
    f = tmp_path / "x.py"
    f.write_text("import boto3\nfrom monitoring.storage import sqlite\n", encoding="utf-8")
    assert _imports(f) == ["boto3", "monitoring.storage", "monitoring.storage.sqlite"]


# ---- the people-facing front ends (DESIGN.md §3, §9): they reach the platform through the public API only -------
FRONT_ENDS = ("web", "miniprogram")
FRONT_END_SOURCES = (".ts", ".tsx", ".js", ".mjs", ".cjs", ".vue")
FRONT_END_BUILD = ("node_modules", "dist", "miniprogram_npm", "coverage")
# No cloud SDK and no database driver: data comes from /api/v1, never from around it.
FRONT_END_FORBIDDEN = (
    "aws-sdk",
    "@aws-sdk/",
    "@aws-amplify/",
    "aws-amplify",
    "mysql",
    "pg",
    "sqlite3",
    "better-sqlite3",
)
_SPECIFIER = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']""")


def _front_end_violations(base: Path) -> list[str]:
    found = []
    for path in sorted(base.rglob("*")):
        if path.suffix not in FRONT_END_SOURCES or any(part in FRONT_END_BUILD for part in path.parts):
            continue
        rel = path.relative_to(base.parent).as_posix()
        for spec in _SPECIFIER.findall(path.read_text(encoding="utf-8", errors="replace")):
            if spec.startswith("."):
                if not (path.parent / spec).resolve().is_relative_to(base.resolve()):
                    found.append(f"{rel}: imports {spec} from outside {base.name}/")
            elif any(spec == bad.rstrip("/") or spec.startswith(bad.rstrip("/") + "/") for bad in FRONT_END_FORBIDDEN):
                found.append(f"{rel}: imports {spec}")
    return found


@pytest.mark.unit
@pytest.mark.parametrize("folder", FRONT_ENDS)
def test_front_end_reaches_the_platform_through_the_api_only(folder: str) -> None:
    if not (ROOT / folder).exists():
        pytest.skip(f"{folder}/ does not exist yet")
    assert _front_end_violations(ROOT / folder) == []


@pytest.mark.unit
def test_front_end_checker_detects_a_violation(tmp_path: Path) -> None:
    web = tmp_path / "web"
    (web / "src").mkdir(parents=True)
    (web / "node_modules" / "x").mkdir(parents=True)
    (web / "node_modules" / "x" / "i.js").write_text("require('aws-sdk')", encoding="utf-8")
    (web / "src" / "api.ts").write_text(
        "import axios from 'axios'\nimport { S3 } from '@aws-sdk/client-s3'\nimport t from '../../monitoring/x'\n"
        "import { a } from './a'\nconst m = await import('../src/a')\n",
        encoding="utf-8",
    )
    assert _front_end_violations(web) == [
        "web/src/api.ts: imports @aws-sdk/client-s3",
        "web/src/api.ts: imports ../../monitoring/x from outside web/",
    ]


# ---- layers inside monitoring (docs/monitoring.md "Layers") ---------------------------------------------------------
# Bottom to top; a module may import modules of its own layer or below, never above. A module belongs to the layer of
# its longest matching prefix, so a package can keep its models low and its store-facing services high.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("monitoring.errors", "monitoring.clock", "monitoring._time", "monitoring.__init__")),
    ("readings", ("monitoring.readings", "monitoring.events", "monitoring.archive")),
    ("registry, profiles", ("monitoring.registry", "monitoring.profiles", "monitoring.commands")),
    ("evaluation", ("monitoring.evaluation",)),
    (
        "domain services",
        (
            "monitoring.alarms",
            "monitoring.emergency",
            "monitoring.reports",
            "monitoring.accounts",
            "monitoring.audit",
            "monitoring.notify",
            "monitoring.photos",
            "monitoring.maintenance",
            "monitoring.charts",
            "monitoring.random_checks",
            "monitoring.campaign",
        ),
    ),
    ("rules", ("monitoring.rules",)),
    ("storage", ("monitoring.storage",)),
    (
        "services over the store, entry points",
        (
            "monitoring.readings.rollup",
            "monitoring.registry.service",
            "monitoring.registry.import_list",
            "monitoring.registry.import_profile",
            "monitoring.registry.import_sheets",
            "monitoring.alarms.detail",
            "monitoring.alarms.queries",
            "monitoring.reports.views",
            "monitoring.reports.monthly",
            "monitoring.emergency.live",
            "monitoring.emergency.measures_edit",
            "monitoring.emergency.cli",
            "monitoring.notify.service",
            "monitoring.maintenance.service",
            "monitoring.maintenance.reminders",
            "monitoring.maintenance.cli",
            "monitoring.accounts.cli",
            "monitoring.emergency.declare",
            "monitoring.emergency.measures_sheet",
            "monitoring.rules.store_inputs",
            "monitoring.rules.replay",
            "monitoring.ingest",
            "monitoring.views",
            "monitoring.field",
            "monitoring.evidence",
            "monitoring.campaign.service",
            "monitoring.campaign.progress",
            "monitoring.campaign.sheet",
            "monitoring.campaign.cli",
            "monitoring.cli",
            "monitoring.cli_views",
            "monitoring.random_checks.service",
            "monitoring.random_checks.cli",
            "monitoring.__main__",
        ),
    ),
)


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for level, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if _matches(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), level)
    return None if best is None else best[1]


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    # The package root is named by its file: "monitoring" alone would match every prefix.
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 2 else parts)


def _layer_violations(base: Path) -> list[str]:
    found = []
    for path in _sources(base):
        module = _module_of(path)
        own = _layer(module)
        if own is None:
            found.append(f"{module}: in no layer (add it to LAYERS and docs/monitoring.md)")
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module) and not isinstance(
                node, ast.Import
            ):
                continue
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for target in targets:
                other = _layer(target) if _matches(target, "monitoring") and target != "monitoring" else None
                if other is not None and other > own:
                    found.append(f"{module} ({LAYERS[own][0]}) imports {target} ({LAYERS[other][0]})")
    return found


@pytest.mark.unit
def test_monitoring_layers_point_down() -> None:
    assert _layer_violations(ROOT / "monitoring") == []


@pytest.mark.unit
def test_layer_checker_detects_an_upward_import() -> None:
    # alarms (domain services) importing the rule tick (rules) is the cycle this layering removed.
    assert _layer("monitoring.alarms.reconcile") < _layer("monitoring.rules.service")  # type: ignore[operator]
    assert _layer("monitoring.registry.models") < _layer("monitoring.storage.ports")  # type: ignore[operator]
    assert _layer("monitoring.storage.ports") < _layer("monitoring.registry.service")  # type: ignore[operator]
