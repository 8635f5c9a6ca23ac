"""schemathesis against the running API, from its own OpenAPI document, signed in as several roles: no 5xx, every
answer matches its schema, every served route is exercised, and detail routes also get the world's real ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from miniprogram_api.app import app
from monitoring.accounts.models import Role
from tests.integration.miniprogram_api.conftest import Api, running_api

pytestmark = pytest.mark.integration
# Uploads of a file's raw bytes (the campaign's progress sheet) are fuzzed as arbitrary bytes.
schemathesis.serializer.alias(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"
)
ROLES = (Role.ADMIN, Role.BRANCH, Role.ENTERPRISE, Role.VIEWER)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
EXAMPLES = 8  # per operation; each example is sent once per role
# Seeded examples of routes whose required query a fuzzer rarely gets right (a window ending after it starts).
SEED_QUERIES = {
    "/api/v1/points/{point_id}/series": {"start": "2026-11-30T08:00:00+08:00", "end": "2026-11-30T20:00:00+08:00"}
}


@pytest.fixture(scope="module")
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(request, Path(tmp_path_factory.mktemp("fuzz"))) as running:
        yield running


def _exercise(fuzzed: Api, base: str, operation: Any, statuses: dict[tuple[str, str], list[int]]) -> bool:
    """Fuzz one operation as every role; True when its path names objects the world has (then seeded with them)."""
    key = (operation.method.upper(), operation.path)
    names = [p.name for p in operation.path_parameters]
    seedable = bool(names) and all(n in fuzzed.world.inside for n in names)

    @given(case=operation.as_strategy(), seeded=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case: Any, seeded: bool) -> None:
        if seedable and (seeded or key not in statuses):  # the first example always names real objects
            case.path_parameters = {n: fuzzed.world.inside[n] for n in names}
            if key[1] in SEED_QUERIES:
                case.query = dict(SEED_QUERIES[key[1]])
        for role in ROLES:
            headers = {"Authorization": f"Bearer {fuzzed.token(role)}"}
            response = case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)
            statuses.setdefault(key, []).append(response.status_code)

    run()
    return seedable


def test_no_server_errors_and_every_answer_matches_its_schema(fuzzed: Api) -> None:
    base = f"http://{fuzzed.client.host}:{fuzzed.client.port}"
    schema = schemathesis.openapi.from_url(base + "/api/v1/openapi.json")
    statuses: dict[tuple[str, str], list[int]] = {}  # (method, path) → every status answered
    seeded_ops: set[tuple[str, str]] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if _exercise(fuzzed, base, operation, statuses):
            seeded_ops.add((operation.method.upper(), operation.path))
    served = {(m, path) for path, methods in app.routes.items() for m in methods if m != "OPTIONS"}
    missing = sorted(served - set(statuses) - {("GET", "/api/v1/openapi.json")})  # the document: loaded above
    assert not missing, f"served but never exercised (absent from the OpenAPI document?): {missing}"
    # With the world's ids, a GET on one object answers 2xx for someone (admin sees the whole county).
    never_found = sorted(k for k in seeded_ops if k[0] == "GET" and not any(200 <= s < 300 for s in statuses[k]))
    assert not never_found, f"seeded with real ids but never 2xx: {never_found}"
