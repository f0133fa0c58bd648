"""Documentation that tests hold to the code."""

from __future__ import annotations

import re
from pathlib import Path

from openstrikes.toolchain.checks import REGISTRY

REPO = Path(__file__).resolve().parents[1]


def test_every_validation_code_is_documented_in_contributing() -> None:
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(OS\d{3})` \|", text, flags=re.M))
    assert documented == set(REGISTRY), {
        "undocumented": sorted(set(REGISTRY) - documented),
        "documented but unknown": sorted(documented - set(REGISTRY)),
    }


def test_every_code_the_code_emits_is_registered() -> None:
    emitted: set[str] = set()
    for path in (REPO / "api" / "openstrikes").rglob("*.py"):
        emitted |= set(re.findall(r'"(OS\d{3})"', path.read_text(encoding="utf-8")))
    assert emitted <= set(REGISTRY), sorted(emitted - set(REGISTRY))


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme
    assert "make test" in ci
