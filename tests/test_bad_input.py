"""Bad input never crashes: every malformed file becomes a Problem with a code, validate changes
nothing, fmt never writes a file it could not parse."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openstrikes.cli import main

BAD_FILES: dict[str, tuple[bytes | None, str]] = {
    "empty.json": (b"", "OS103"),
    "whitespace.json": (b"  \n\t\n", "OS103"),
    "not-json.json": (b"this is not json", "OS104"),
    "truncated.json": (b'{"id": "OS-2021-2222-3333",\n  "summary": "abc', "OS104"),
    "array.json": (b"[1, 2, 3]", "OS108"),
    "string.json": (b'"just a string"', "OS108"),
    "nan.json": (b'{"latitude": NaN}', "OS106"),
    "infinity.json": (b'{"latitude": -Infinity}', "OS106"),
    "duplicate-key.json": (b'{"id": "a",\n "id": "b"}', "OS105"),
    "utf16.json": ('{"id": "x"}'.encode("utf-16"), "OS102"),
    "utf16be-nobom.json": ('{"id": "x"}'.encode("utf-16-be"), "OS102"),
    "bom.json": (b'\xef\xbb\xbf{"id": "x"}', "OS102"),
    "invalid-utf8.json": (b'{"summary": "caf\xe9"}', "OS102"),
    "huge.json": (b'{"summary": "' + b"x" * (1024 * 1024 + 10) + b'"}', "OS101"),
    "deep.json": (b"[" * 100_000 + b"]" * 100_000, "OS107"),
    "deep-objects.json": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "OS107"),
    "control-char.json": (b'{"summary": "bell\x07here"}', "OS104"),
    "path-id.json": (b'{"id": "../x"}', "OS205"),
    "long-integer.json": (b'{"casualties": {"killed": {"min": ' + b"9" * 5000 + b"}}}", "OS104"),
}


def _write_bad_files(events_dir: Path) -> None:
    events_dir.mkdir(parents=True, exist_ok=True)
    for name, (content, _) in BAD_FILES.items():
        if content is not None:
            (events_dir / name).write_bytes(content)
    (events_dir / "a-directory.json").mkdir()
    os.symlink(events_dir / "array.json", events_dir / "symlink.json")


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() else "-"
        )
        for p in sorted(root.rglob("*"))
    }


def test_every_bad_file_becomes_a_coded_problem(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events_dir = repo_root / "dataset" / "events" / "2021"
    _write_bad_files(events_dir)
    before = _tree_digest(repo_root)
    status = main(["validate", "--format", "json", str(events_dir)])
    out = json.loads(capsys.readouterr().out)
    assert status == 1
    assert _tree_digest(repo_root) == before, "validate must not modify anything"
    codes: dict[str, set[str]] = {}
    for p in out["problems"]:
        codes.setdefault(Path(p["file"]).name, set()).add(p["code"])
    for name, (_, code) in BAD_FILES.items():
        assert code in codes.get(name, set()), (name, codes.get(name))
    assert "OS100" in codes["a-directory.json"]
    assert "OS100" in codes["symlink.json"]
    not_json = next(p for p in out["problems"] if p["file"].endswith("truncated.json"))
    assert not_json["line"] == 2 and not_json["column"]


def test_fmt_never_writes_what_it_cannot_parse(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events_dir = repo_root / "dataset" / "events" / "2021"
    _write_bad_files(events_dir)
    unparseable = [n for n, (_, code) in BAD_FILES.items() if code not in ("OS205",) and n != "bom.json"]
    before = {n: (events_dir / n).read_bytes() for n in unparseable}
    status = main(["fmt", str(events_dir)])
    assert status == 1
    assert {n: (events_dir / n).read_bytes() for n in unparseable} == before
    # A BOM-prefixed but otherwise readable file is rewritten without the mark.
    assert not (events_dir / "bom.json").read_bytes().startswith(b"\xef\xbb\xbf")
    assert os.path.islink(events_dir / "symlink.json")


def test_no_traceback_reaches_the_user(repo_root: Path) -> None:
    _write_bad_files(repo_root / "dataset" / "events" / "2021")
    for args in (["validate"], ["validate", "--format", "github"], ["fmt", "--check"], ["fmt"]):
        proc = subprocess.run(
            [sys.executable, "-m", "openstrikes.cli", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "OPENSTRIKES_ROOT": str(repo_root)},
            cwd=repo_root,
            timeout=300,
        )
        assert proc.returncode == 1, (args, proc.stderr[-2000:])
        assert "Traceback" not in proc.stdout + proc.stderr


def test_an_integer_of_over_4300_digits_is_a_coded_problem_with_its_line(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events_dir = repo_root / "dataset" / "events" / "2021"
    events_dir.mkdir(parents=True)
    path = events_dir / "OS-2021-2222-3333.json"
    raw = b'{\n  "id": "OS-2021-2222-3333",\n  "casualties": {"killed": {"min": ' + b"9" * 5000 + b"}}\n}\n"
    path.write_bytes(raw)
    assert main(["validate", "--format", "json", str(path)]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [(p["code"], p["line"]) for p in problems] == [("OS104", 3)]
    assert "5000 digits" in problems[0]["message"]
    assert main(["fmt", str(events_dir)]) == 1
    assert "OS104" in capsys.readouterr().err
    assert path.read_bytes() == raw
