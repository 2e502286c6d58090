"""Schemathesis against the backend's own OpenAPI schema: zero 5xx, zero schema violations.

Every operation is called with generated valid (positive) and invalid (negative) input,
with a real session cookie, against the real server; every default check runs on each
response (server errors, status codes, content types, response schemas, rejection of
invalid data). Schemathesis's pytest plugin does not load under pytest 9, so the
operations are driven through its Python API with Hypothesis directly.
"""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from chatkit import register
from devstack.backend_server import BackendServer
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation

from tests.drills import figures

EXAMPLES_PER_OPERATION = 25
Calls = list[str]
# Schemathesis's generic parameters (parameter, response, security and schema types) do not matter here.
Operation = APIOperation[Any, Any, Any, Any]


def fuzz(
    operation: Operation, mode: GenerationMode, base_url: str, headers: dict[str, str], calls: Calls
) -> None:
    """Up to EXAMPLES_PER_OPERATION generated requests; raises what Schemathesis finds."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case[Operation]) -> None:
        calls.append(operation.label)
        case.call_and_validate(base_url=base_url, headers=headers)

    check()


def test_every_operation_answers_per_schema_and_never_5xx(shared_backend: BackendServer) -> None:
    cookie = asyncio.run(register(shared_backend.url)).cookie
    # The schema is behind a session too (only register, login and health are public).
    schema = schemathesis.openapi.from_url(
        f"{shared_backend.url}/api/openapi.json", headers={"Cookie": cookie}
    )
    failures: dict[str, str] = {}
    calls: Calls = []
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == len(list(schema.get_all_operations())), "the schema has invalid operations"
    for operation in operations:
        # Logging out with the shared cookie would end the session the other operations use.
        headers = {} if operation.path == "/api/logout" else {"Cookie": cookie}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, shared_backend.url, headers, calls)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # no parameters and no body: nothing to make invalid
            except (Exception, BaseExceptionGroup) as failure:  # every failure is collected, reported below
                failures[f"{operation.label} [{mode.value}]"] = str(failure)[:1500]
    figures.record(
        "bad HTTP input: schemathesis on `/api/openapi.json` (positive and negative cases, a real session)",
        "every response matches the schema (status, content type, body) and none is a 5xx",
        operations=len(operations),
        calls=len(calls),
        failures=len(failures),
    )
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
