"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis): no request, however odd, gets a
5xx, and 2xx answers match their schemas. A few examples per operation in the default suite (as a tenant and as
the admin), many more in the slow one."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from svc_helpers import ADMIN, TRAIN, new_tenant
from test_api import OPERATION_IDS

CHECKS = [not_a_server_error, response_schema_conformance]


def fuzz(make_client, who: str, examples: int) -> int:
    c = make_client(speed=600.0, default_rate_limit_per_s=1e6, default_rate_burst=1_000_000)
    _, h = new_tenant(c, "fuzz")
    for _ in range(2):
        assert c.post("/v1/jobs", json=TRAIN, headers=h).status_code == 201
    auth = h if who == "tenant" else ADMIN
    schema = schemathesis.openapi.from_asgi("/openapi.json", c.app)
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1

        @given(case=op.as_strategy())
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case) -> None:
            case.call_and_validate(headers=auth, checks=CHECKS)

        run()
    return operations


@pytest.mark.parametrize("who", ["tenant", "admin"])
def test_no_server_errors(make_client, who: str) -> None:
    assert fuzz(make_client, who, examples=3) == len(OPERATION_IDS)


@pytest.mark.slow
@pytest.mark.parametrize("who", ["tenant", "admin"])
def test_no_server_errors_long(make_client, who: str) -> None:
    assert fuzz(make_client, who, examples=200) == len(OPERATION_IDS)
