"""Handler of `openstrikes validate`: its own module, so that the command imports the validator
and nothing else of the toolchain's commands (fmt's codebook and coverage tables)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS, UsageError
from openstrikes.paths import dataset_dir
from openstrikes.problems import Problem, format_github, format_human, format_json
from openstrikes.toolchain.progress import ProgressBar
from openstrikes.toolchain.validate import validate_dataset


def given_paths(raw: list[str]) -> list[Path] | None:
    """The PATHS of a command, each checked to exist (None when none is given)."""
    paths = [Path(p) for p in raw]
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    return paths or None


def _print_problems(problems: list[Problem], fmt: str) -> None:
    if fmt == "json":
        print(format_json(problems))
    elif fmt == "github":
        if problems:
            print(format_github(problems))
    elif problems:
        print(format_human(problems, color=sys.stdout.isatty()))


def cmd_validate(args: argparse.Namespace) -> int:
    """`openstrikes validate [PATHS] [--format human|json|github]`."""
    bar = ProgressBar("validating")  # on a terminal's stderr, for large datasets only
    result = validate_dataset(dataset_dir(), given_paths(args.paths), progress=bar.update)
    bar.close()
    _print_problems(result.problems, args.output_format)
    if args.output_format == "human":
        files = len({p.file for p in result.problems})
        summary = (
            f"{len(result.problems)} problem(s) in {files} of {result.files_checked} file(s)"
            if result.problems
            else f"{result.files_checked} file(s) checked, no problems"
        )
        print(summary, file=sys.stderr)
    return EXIT_PROBLEMS if result.problems else EXIT_OK
