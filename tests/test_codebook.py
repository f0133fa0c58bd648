"""The codebook (CODEBOOK.md, /docs/codebook): generated from the schemas' descriptions and the
records, current, complete (every code defined), with counts and examples that match the data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest_api import Release, build_legacy_release, build_release

from openstrikes.cli.codebook import CODEBOOK_FILE, dataset_codebook
from openstrikes.package.codebook import NO_DEFINITION, CodebookError, codebook_blocks, fields_of, markdown
from openstrikes.schema_files import actor_schema, event_schema, place_schema
from openstrikes.web import create_app

REPO = Path(__file__).resolve().parents[1]


def _enums(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return ([node] if "enum" in node else []) + [e for v in node.values() for e in _enums(v)]
    if isinstance(node, list):
        return [e for v in node for e in _enums(v)]
    return []


def test_codebook_md_is_current() -> None:
    text = (REPO / CODEBOOK_FILE).read_text(encoding="utf-8")
    assert text == dataset_codebook(), (
        "CODEBOOK.md is stale: run `openstrikes fmt` (or `openstrikes codebook --write`)"
    )


@pytest.mark.parametrize(
    "schema", [event_schema(), actor_schema(), place_schema()], ids=["event", "actor", "place"]
)
def test_every_code_of_every_schema_has_a_definition(schema: dict[str, Any]) -> None:
    enums = _enums(schema)
    assert enums
    for node in enums:
        defs = node.get("x-enum-descriptions")
        assert isinstance(defs, list) and len(defs) == len(node["enum"]), node["enum"]
        assert all(isinstance(d, str) and len(d) >= 10 for d in defs), node["enum"]
    # ... and every field has a description
    missing = [f.path for f in fields_of(schema) if not f.description]
    assert not missing


def test_a_code_without_a_definition_is_an_error() -> None:
    schema = {
        "type": "object",
        "properties": {"kind": {"description": "k", "enum": ["a", "b"], "x-enum-descriptions": ["A."]}},
    }
    with pytest.raises(CodebookError, match="kind"):
        fields_of(schema)


def _table(text: str, heading: str) -> dict[str, list[str]]:
    """code -> [definition, count, example] of the table under `heading`."""
    section = text.split(heading + "\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if line.startswith("| `"):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def _dataset_events() -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((REPO / "dataset" / "events").rglob("*.json"))
    ]


def test_counts_and_examples_match_an_oracle_over_the_event_files() -> None:
    text = (REPO / CODEBOOK_FILE).read_text(encoding="utf-8")
    live = sorted(
        (e for e in _dataset_events() if e["withdrawn"] is None), key=lambda e: (e["date_start"], e["id"])
    )
    checks = {
        "strike_type": lambda e: [e["strike_type"]],
        "outcome": lambda e: [e["outcome"]],
        "date_precision": lambda e: [e["date_precision"]],
        "targets[].target_type": lambda e: {t["target_type"] for t in e["targets"]},
        "related[].relation": lambda e: {r["relation"] for r in e.get("related", [])},
        "attackers[].attribution": lambda e: {a["attribution"] for a in e["attackers"]},
    }
    codes = {f.path: f.codes for f in fields_of(event_schema())}
    for path, get in checks.items():
        table = _table(text, f"### Event codes: `{path}`")
        assert set(table) == set(codes[path]), path
        for code in codes[path]:
            using = [e["id"] for e in live if code in get(e)]
            assert table[code][1] == str(len(using)), (path, code)
            assert table[code][2] == (f"`{using[0]}`" if using else "none"), (path, code)
    assert _table(text, "### Event codes: `date_precision`")["week"][2] == "none"
    # drone_strike and loitering_munition are told apart in words, not only by name
    st = _table(text, "### Event codes: `strike_type`")
    assert "MQ-9" in st["drone_strike"][0] and "one-way" in st["loitering_munition"][0]


def test_withdrawal_codes_count_withdrawn_events_only() -> None:
    text = (REPO / CODEBOOK_FILE).read_text(encoding="utf-8")
    gone = sorted((e for e in _dataset_events() if e["withdrawn"]), key=lambda e: (e["date_start"], e["id"]))
    table = _table(text, "### Event codes: `withdrawn.reason`")
    for code, (_, count, example) in table.items():
        using = [e["id"] for e in gone if e["withdrawn"]["reason"] == code]
        assert count == str(len(using)) and example == (f"`{using[0]}`" if using else "none")


def test_the_readme_links_the_codebook() -> None:
    assert "(CODEBOOK.md)" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("codebook"), 40, seed=11)


def test_the_api_serves_the_codebook_of_its_release(rel: Release, tmp_path: Path) -> None:
    app = create_app(rel.root, cache_dir=tmp_path)
    client = app.test_client()
    places = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(rel.root.parent.glob("repo-*/**/places/*.json"))
    ]
    want = markdown(
        codebook_blocks(
            event_schema(), actor_schema(), place_schema(), rel.events.values(), rel.actors.values(), places
        )
    )
    got = client.get("/docs/codebook.md")
    assert got.status_code == 200 and got.mimetype == "text/markdown"
    assert got.get_data(as_text=True) == want
    page = client.get("/docs/codebook")
    assert page.status_code == 200 and page.mimetype == "text/html"
    body = page.get_data(as_text=True)
    first = re.search(
        r"`(OS-\d{4}-[0-9a-z]{4}-[0-9a-z]{4})`", want.split("### Event codes: `strike_type`")[1]
    )
    assert first and f"href='/v1/events/{first.group(1)}'" in body
    assert "drone_strike" in body and "<table>" in body
    assert "/docs/codebook" in client.get("/docs").get_data(as_text=True)
    assert client.get("/docs/codebook?x=1").status_code == 400


def test_a_release_made_before_the_definitions_still_gets_its_codebook(tmp_path: Path) -> None:
    """Existing releases stay servable: a schema 1.0 release (no x-enum-descriptions) gets a
    codebook with its codes, counts and examples, and says the definitions are missing."""
    releases = tmp_path / "releases"
    build_legacy_release(tmp_path / "legacy", 20, 3, releases)
    client = create_app(releases, cache_dir=tmp_path / "index").test_client()
    got = client.get("/docs/codebook.md")
    assert got.status_code == 200
    text = got.get_data(as_text=True)
    assert "Event schema 1.0.0" in text and NO_DEFINITION in text
    assert "| `airstrike` | " + NO_DEFINITION in text
    assert client.get("/docs/codebook").status_code == 200
