"""schemathesis against the running API, from its own OpenAPI document, signed in as several roles: no 5xx, and
every answer (errors included) matches the schema its operation declares. Bounded: a few examples per operation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from monitoring.accounts.models import Role
from tests.integration.miniprogram_api.conftest import Api, running_api

pytestmark = pytest.mark.integration
ROLES = (Role.ADMIN, Role.BRANCH, Role.ENTERPRISE, Role.VIEWER)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
EXAMPLES = 8  # per operation; each example is sent once per role


@pytest.fixture(scope="module")
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(request, Path(tmp_path_factory.mktemp("fuzz"))) as running:
        yield running


def test_no_server_errors_and_every_answer_matches_its_schema(fuzzed: Api) -> None:
    base = f"http://{fuzzed.client.host}:{fuzzed.client.port}"
    schema = schemathesis.openapi.from_url(base + "/api/v1/openapi.json")
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case: Any) -> None:
            for role in ROLES:
                headers = {"Authorization": f"Bearer {fuzzed.token(role)}"}
                case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)

        run()
        tried += 1
    assert tried >= 10  # the document lists the operations (an empty one would pass vacuously)
