"""The contributor commands end to end: new, fmt, validate; formats and exit statuses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from openstrikes.cli import main
from openstrikes.toolchain.jsontext import loads_strict
from openstrikes.toolchain.records import canonical
from repo_fixtures import dump, make_root, write_event
from strategies import events

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from synthetic import generate_events


def test_new_scaffolds_a_fresh_event_file(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["new", "--date", "2021-06-28", "--country", "sy", "--strike-type", "airstrike", "--no-input"]
    )
    assert status == 0
    path = Path(capsys.readouterr().out.strip())
    record = json.loads(path.read_text())
    assert path.parent.name == "2021" and path.stem == record["id"]
    assert record["country"] == "SY" and record["strike_type"] == "airstrike"
    assert record["published"] == record["modified"]
    # The scaffold is canonical and tells the contributor what to fill in.
    assert path.read_text() == canonical(record, "event")
    assert main(["validate", str(path)]) == 1
    codes = {p["code"] for p in _validate_json(capsys, path)}
    assert codes <= {"OS206", "OS208", "OS312"}, codes


def _validate_json(capsys: pytest.CaptureFixture[str], *paths: Path) -> list[dict]:
    capsys.readouterr()
    main(["validate", "--format", "json", *map(str, paths)])
    return json.loads(capsys.readouterr().out)["problems"]


def test_new_ids_never_collide(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(30):
        assert main(["new", "--date", "2020-01-03", "--country", "IQ", "--no-input"]) == 0
    paths = capsys.readouterr().out.split()
    assert len(set(paths)) == 30


@pytest.mark.parametrize(
    "argv",
    [
        ["new", "--no-input"],
        ["new", "--date", "2999-01-01", "--country", "SY", "--no-input"],
        ["new", "--date", "28/06/2021", "--country", "SY", "--no-input"],
        ["new", "--date", "2021-06-28", "--country", "Syria", "--no-input"],
        ["new", "--date", "2021-06-28", "--country", "SY", "--strike-type", "bombing", "--no-input"],
        ["validate", "does/not/exist.json"],
        ["fmt", "does/not/exist.json"],
    ],
)
def test_usage_errors_exit_2(repo_root: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "openstrikes" in capsys.readouterr().err


def test_argparse_usage_error_exits_2(repo_root: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--format", "xml"])
    assert exc.value.code == 2


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=events())
def test_fmt_is_idempotent_and_preserves_content(
    tmp_path_factory: pytest.TempPathFactory, event: dict
) -> None:
    root = make_root(tmp_path_factory.mktemp("fmt"))
    path = write_event(root, event)
    messy = json.dumps(dict(reversed(list(event.items()))), indent=4, ensure_ascii=True)
    path.write_text(messy)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENSTRIKES_ROOT", str(root))
        mp.chdir(root)
        assert main(["fmt", "--check", str(path)]) == 1
        assert path.read_text() == messy  # --check writes nothing
        assert main(["fmt", str(path)]) == 0
        once = path.read_bytes()
        assert main(["fmt", str(path)]) == 0
        assert path.read_bytes() == once
        assert main(["fmt", "--check", str(path)]) == 0
    assert loads_strict(once.decode()) == event
    assert once.decode() == canonical(event, "event")


def test_fmt_check_prints_a_diff(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    actor = repo_root / "dataset" / "actors" / "us-air-force.json"
    actor.write_text(json.dumps(json.loads(actor.read_text())))
    assert main(["fmt", "--check"]) == 1
    captured = capsys.readouterr()
    assert "+++ dataset/actors/us-air-force.json (formatted)" in captured.out
    assert "would reformat dataset/actors/us-air-force.json" in captured.err


def test_validate_reports_every_problem_of_every_file(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = repo_root / "dataset" / "events" / "2021" / "OS-2021-2222-3333.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(dump({"id": "OS-2021-2222-4444", "country": "Syria", "colour": "red"}))
    other = repo_root / "dataset" / "events" / "2021" / "broken.json"
    other.write_text("{")
    problems = _validate_json(capsys, repo_root / "dataset")
    files = {p["file"] for p in problems}
    assert files == {"dataset/events/2021/OS-2021-2222-3333.json", "dataset/events/2021/broken.json"}
    codes = {p["code"] for p in problems if p["file"].endswith("3333.json")}
    assert {"OS201", "OS202", "OS205", "OS301"} <= codes
    for p in problems:
        assert set(p) == {"file", "pointer", "code", "message", "hint", "line", "column"}
        assert p["hint"] and p["message"]
    colour = next(p for p in problems if p["pointer"] == "/colour")
    assert colour["line"] == 4


def test_github_format_annotates_file_and_line(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = repo_root / "dataset" / "events" / "2021" / "x.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{\n  "a": 1,\n}\n')
    assert main(["validate", "--format", "github", str(bad)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        "::error file=dataset/events/2021/x.json,line=3,col=1,title=OS104::OS104 not valid JSON: "
        "Expecting property name enclosed in double quotes. Fix: fix the syntax at this line and column "
        "(a missing comma, quote or bracket is usual)"
    ]


def test_clean_dataset_exits_0(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert "no problems" in capsys.readouterr().err


def test_new_prompts_for_what_the_flags_do_not_give(
    repo_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["2020-01-03", "iq", "drone_strike"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["new"]) == 0
    record = json.loads(Path(capsys.readouterr().out.strip()).read_text())
    assert (record["date_start"], record["country"], record["strike_type"]) == (
        "2020-01-03",
        "IQ",
        "drone_strike",
    )
    assert record["id"].startswith("OS-2020-")


def test_fmt_keeps_the_coverage_tables_current(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A contributor who adds a valid event and runs `fmt` leaves nothing stale for CI to find."""
    readme = repo_root / "dataset" / "README.md"
    readme.write_text("# Dataset\n\n<!-- coverage:start -->\nold numbers\n<!-- coverage:end -->\n\nMore.\n")
    assert main(["stats", "--check"]) == 1
    assert main(["fmt", "--check"]) == 1
    assert "would reformat dataset/README.md (coverage tables)" in capsys.readouterr().err
    assert "old numbers" in readme.read_text()  # --check writes nothing
    assert main(["fmt"]) == 0
    assert main(["stats", "--check"]) == 0 and main(["fmt", "--check"]) == 0
    text = readme.read_text()
    assert text.startswith("# Dataset\n") and text.endswith("\nMore.\n") and "Live events: **0**" in text
    write_event(repo_root, next(generate_events(1, seed=1)))
    assert main(["stats", "--check"]) == 1
    assert main(["fmt"]) == 0
    assert main(["stats", "--check"]) == 0 and "Live events: **1**" in readme.read_text()
