"""Users of other languages generate clients from /openapi.json: openapi-typescript (pinned in
scripts/ts-client/package.json, installed by `npm ci` there; .ci/run does it) generates types
from the live spec, and a usage file (scripts/ts-client/usage.ts: lists, pages by distance, reads
GeoJSON, aggregates, walks a chain, posts a record to validate) type-checks against them with
`tsc --strict`, its `@ts-expect-error` lines proving the types are not `any`. Offline: the spec
comes from the app in process and node runs local files only."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest_api import build_release

from openstrikes.web import create_app

REPO = Path(__file__).resolve().parents[1]
TS = REPO / "scripts" / "ts-client"
BIN = TS / "node_modules" / ".bin"


def _tools() -> tuple[str, Path, Path]:
    node = shutil.which("node")
    generator, tsc = BIN / "openapi-typescript", BIN / "tsc"
    if node is None or not generator.exists() or not tsc.exists():
        why = "node and `npm ci` in scripts/ts-client are needed (see scripts/ts-client/README.md)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return node, generator, tsc


def _run(cmd: list[str], cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_openapi_typescript_output_type_checks_a_usage_file(tmp_path: Path) -> None:
    node, generator, tsc = _tools()
    rel = build_release(tmp_path / "rel", 30, seed=5)
    app = create_app(rel.root, cache_dir=tmp_path / "index")
    spec = tmp_path / "openapi.json"
    spec.write_bytes(app.test_client().get("/openapi.json").get_data())
    work = tmp_path / "ts"
    work.mkdir()
    _run([node, str(generator), str(spec), "-o", str(work / "openstrikes.d.ts")], work)
    types = (work / "openstrikes.d.ts").read_text(encoding="utf-8")
    assert "EventPage: {" in types and '"/v1/aggregates": {' in types
    for name in ("usage.ts", "tsconfig.json"):
        shutil.copy(TS / name, work / name)
    _run([node, str(tsc), "-p", str(work / "tsconfig.json")], work)


def test_a_broken_usage_fails_the_check(tmp_path: Path) -> None:
    """The check can fail: a usage that reads a field no event has is a type error."""
    node, generator, tsc = _tools()
    rel = build_release(tmp_path / "rel", 10, seed=6)
    app = create_app(rel.root, cache_dir=tmp_path / "index")
    spec = tmp_path / "openapi.json"
    spec.write_bytes(app.test_client().get("/openapi.json").get_data())
    _run([node, str(generator), str(spec), "-o", str(tmp_path / "openstrikes.d.ts")], tmp_path)
    shutil.copy(TS / "tsconfig.json", tmp_path / "tsconfig.json")
    (tmp_path / "usage.ts").write_text(
        'import type { components } from "./openstrikes";\n'
        'export const f = (e: components["schemas"]["Event"]) => e.casualtys;\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [node, str(tsc), "-p", str(tmp_path / "tsconfig.json")], capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0 and "casualtys" in done.stdout
