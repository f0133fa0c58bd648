"""Schemathesis (in process, over the OpenAPI text the app serves) fuzzes every operation with valid
and invalid input: no server error, and every response conforms to its documented status code,
content type and schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest_api import build_release
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from openstrikes.web import create_app

CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    rel = build_release(tmp, 120, seed=21)
    app = create_app(rel.root, cache_dir=tmp / "index")
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_the_spec_is_openapi_3_1_and_lists_every_route(api_schema: Any) -> None:
    labels = {f"{op.method.upper()} {op.path}" for op in operations(api_schema)}
    for route in (
        "/events",
        "/events/{event_id}",
        "/events/{event_id}/related",
        "/aggregates",
        "/changes",
        "/actors",
        "/grid",
        "/histogram",
    ):
        assert f"GET /v1{route}" in labels
        assert f"GET /v1/releases/{{version}}{route}" in labels
    assert {
        "GET /v1/releases",
        "GET /v1/releases/{version}/files/{name}",
        "POST /v1/validate",
        "GET /v1/health",
    } <= labels


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation(api_schema: Any, mode: GenerationMode) -> None:
    failures: list[str] = []
    for op in operations(api_schema):

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            # in process there is no HTTP client to undo gzip: ask for the identity encoding
            response = case.call(headers={"Accept-Encoding": "identity"})
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: {response.text[:300]}"
            )
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            # nothing in this operation can be made invalid (e.g. no parameters, free-form path ids)
            assert mode is GenerationMode.NEGATIVE, f"{op.method.upper()} {op.path}: no valid input generated"
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
