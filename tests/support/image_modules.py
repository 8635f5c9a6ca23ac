"""Run a process with only what the county host's image holds (local/Dockerfile): pyproject's runtime
dependencies and hj212, iot_ingest, monitoring, functions, local and data. A sitecustomize on PYTHONPATH makes
every import of anything else fail, in the process and in the workers it spawns, as it would in the container."""

from __future__ import annotations

import os
from pathlib import Path

# The extras' and dev tools' top-level modules (pyproject's api, infra, notify, dev) and this repository's
# packages the image does not copy.
NOT_IN_IMAGE = (
    "chalice", "PIL", "alibabacloud", "tencentcloud", "Tea", "darabonba", "aws_cdk", "cdk_nag", "constructs",
    "jsii", "moto", "flask", "werkzeug", "pytest", "hypothesis", "schemathesis", "playwright",
    "simulator", "infra", "bench", "miniprogram_api", "tests", "fuzz",
)  # fmt: skip

_SITECUSTOMIZE = """\
import importlib.abc
import sys

BLOCKED = {blocked!r}


class NotInImage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"not in the county host's image: {{name}}")
        return None


sys.meta_path.insert(0, NotInImage())
"""


def image_environment(work: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with the blocker first on PYTHONPATH."""
    site = work / "image-site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(blocked=NOT_IN_IMAGE), encoding="utf-8")
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)
    return env
