"""Handler of `openstrikes stats`."""

from __future__ import annotations

import argparse
import sys

from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS, UsageError
from openstrikes.package.stats import coverage_markdown, load_records, replace_section
from openstrikes.paths import dataset_dir
from openstrikes.toolchain.records import write_atomic


def cmd_stats(args: argparse.Namespace) -> int:
    """`openstrikes stats [--write | --check]`: print, write or check the coverage tables."""
    dataset = dataset_dir()
    section = coverage_markdown(*load_records(dataset))
    readme = dataset / "README.md"
    if not (args.write or args.check):
        sys.stdout.write(section)
        return EXIT_OK
    current = readme.read_text(encoding="utf-8") if readme.exists() else ""
    try:
        updated = replace_section(current, section)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.check:
        if updated != current:
            print(
                "dataset/README.md coverage tables are stale: run `openstrikes fmt` (or `openstrikes stats --write`)",
                file=sys.stderr,
            )
            return EXIT_PROBLEMS
        return EXIT_OK
    write_atomic(readme, updated)
    return EXIT_OK
