"""The CDK app: one PlatformStack per stage of the `stages` context value (cdk.json), plus a HostGroupStack per host
group of a province stage (`host_groups`), checked by cdk-nag.

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import argparse
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag

from infra.settings import load_stages
from infra.stacks.host_group import HostGroupStack, host_group_stack_name
from infra.stacks.platform import PlatformStack, SourceLayout

INFRA_DIR = Path(__file__).resolve().parent
REPO_ROOT = INFRA_DIR.parent
DOCKERFILE = "iot_ingest/Dockerfile"
# The API layer on top of the shared one: the `api` extra without Chalice's CLI dependencies, plus the one module
# chalice.local needs (miniprogram_api/lambda_proxy.py uses its route matcher); pinned by requirements.lock.
API_RUNTIME_EXTRAS = ("six",)


def file_context() -> dict[str, Any]:
    """The context the CDK CLI would pass: cdk.json's `context`, then cdk.context.json on top."""
    context: dict[str, Any] = dict(json.loads((INFRA_DIR / "cdk.json").read_text(encoding="utf-8")).get("context", {}))
    cached = INFRA_DIR / "cdk.context.json"
    if cached.exists():
        context.update(json.loads(cached.read_text(encoding="utf-8")))
    return context


def source_layout(root: Path = REPO_ROOT) -> SourceLayout:
    """The runtime's location and its pinned runtime dependencies (pyproject.toml `dependencies`, and the
    `notify` extra: the SMS provider SDKs the notification sender uses), and the dashboard build when there is one
    (web/dist/index.html; without it the site is created empty and `make web` then `cdk deploy` fills it)."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = root / "requirements.lock"
    pins = dict(line.split("==", 1) for line in lock.read_text(encoding="utf-8").split() if "==" in line)
    return SourceLayout(
        root=root,
        dockerfile=DOCKERFILE,
        requirements=(*project["dependencies"], *project["optional-dependencies"]["notify"]),
        constraints_file=lock,
        web_dist=web_dist if (web_dist := root / "web" / "dist").joinpath("index.html").is_file() else None,
        api_requirements=(
            *project["optional-dependencies"]["api"],
            *(f"{name}=={pins[name]}" for name in API_RUNTIME_EXTRAS),
        ),
    )


def build_app(
    *, context: Mapping[str, Any] | None = None, outdir: str | None = None, layout: SourceLayout | None = None
) -> cdk.App:
    """Build the app. Under the CDK CLI the context arrives in CDK_CONTEXT_JSON; otherwise it is read from files."""
    if context is None and "CDK_CONTEXT_JSON" not in os.environ:
        context = file_context()
    app = cdk.App(context=dict(context) if context is not None else None, outdir=outdir)
    layout = layout or source_layout()
    for stage in load_stages(app.node.get_all_context()):
        shared = PlatformStack(app, f"Gongkuang-{stage.name}", settings=stage, source=layout)
        for group in stage.host_groups:  # a province as a tier of hosts: a stack per host
            name = host_group_stack_name(stage.name, group.name)
            HostGroupStack(app, name, shared=shared, group=group, source=layout)
    add_checks(app)
    return app


def add_checks(app: cdk.App) -> None:
    """cdk-nag AwsSolutions as a policy-validation plugin: synthesis fails on any unacknowledged finding."""
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app, verbose=True))


def main(argv: list[str] | None = None) -> None:
    """`python -m infra.app [--no-bundling]`: synthesise every stage into infra/cdk.out (or CDK_OUTDIR)."""
    parser = argparse.ArgumentParser(prog="python -m infra.app", description=__doc__.splitlines()[0])
    parser.add_argument("--no-bundling", action="store_true", help="skip building the dependencies layer (offline)")
    args = parser.parse_args(argv)
    context = None
    if "CDK_CONTEXT_JSON" not in os.environ:
        context = file_context()
        if args.no_bundling:
            context["aws:cdk:bundling-stacks"] = []
    outdir = None if "CDK_OUTDIR" in os.environ else str(INFRA_DIR / "cdk.out")
    assembly = build_app(context=context, outdir=outdir).synth()
    for stack in assembly.stacks:
        print(f"{stack.stack_name}: {len(stack.template.get('Resources', {}))} resources -> {assembly.directory}")


if __name__ == "__main__":
    main()
