"""Handler of `openstrikes build`, and the reporting it shares with `release`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS, UsageError
from openstrikes.package.build import build_package
from openstrikes.package.metadata import InvalidDataset, PackageError, load_metadata
from openstrikes.package.reader import read_package
from openstrikes.paths import repo_root
from openstrikes.problems import format_human
from openstrikes.release.released import DEV_SUFFIX, build_version


def report_invalid(exc: InvalidDataset, command: str) -> int:
    print(format_human(exc.problems, color=sys.stdout.isatty()))
    files = len({p.file for p in exc.problems})
    print(
        f"openstrikes {command}: refused: {len(exc.problems)} problem(s) in {files} file(s); "
        "nothing was written (run `openstrikes validate` after fixing them)",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS


def stage(message: str) -> None:
    if sys.stderr.isatty():
        print(f"{message}...", file=sys.stderr)


def waiting(message: str) -> None:
    """Say why a build stands still: another one holds the output directory."""
    print(f"openstrikes: {message}", file=sys.stderr, flush=True)


def cmd_build(args: argparse.Namespace) -> int:
    """`openstrikes build [--out DIR]`: validate, then write DIR/<name>-<version>/."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    root = repo_root()
    try:
        version = build_version(root, out, load_metadata(root / "dataset"))
        if version is not None:
            print(
                f"openstrikes build: {version.removesuffix(DEV_SUFFIX)} is released and its bytes never "
                f"change: building the work tree as {version} (`openstrikes release` makes a new version)",
                file=sys.stderr,
            )
        target = build_package(root / "dataset", out, version=version, on_stage=stage, on_wait=waiting)
        info = read_package(target, verify=False)
    except InvalidDataset as exc:
        return report_invalid(exc, "build")
    except PackageError as exc:
        print(f"openstrikes build: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    counts = info.descriptor.get("counts", {})
    print(
        f"built {target} ({counts.get('events', 0)} events, {counts.get('withdrawn', 0)} withdrawn, "
        f"{counts.get('actors', 0)} actors); datapackage.json sha256 {info.sha256}"
    )
    return EXIT_OK
