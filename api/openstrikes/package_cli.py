"""Handlers of `openstrikes build`, `diff` and `release` (called by cli.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from .diff import DiffError, compare, open_snapshot, render_json, render_text
from .package import InvalidDataset, PackageError, build_package, load_metadata, read_package, validated_files
from .paths import dataset_dir, repo_root
from .problems import format_human
from .release import ReleaseError, VersionRefused, apply_release, plan_release


def _report_invalid(exc: InvalidDataset, command: str) -> int:
    print(format_human(exc.problems, color=sys.stdout.isatty()))
    files = len({p.file for p in exc.problems})
    print(
        f"openstrikes {command}: refused: {len(exc.problems)} problem(s) in {files} file(s); "
        "nothing was written (run `openstrikes validate` after fixing them)",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS


def _stage(message: str) -> None:
    if sys.stderr.isatty():
        print(f"{message}...", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    """`openstrikes build [--out DIR]`: validate, then write DIR/<name>-<version>/."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    try:
        target = build_package(dataset_dir(), out, on_stage=_stage)
        info = read_package(target, verify=False)
    except InvalidDataset as exc:
        return _report_invalid(exc, "build")
    except PackageError as exc:
        print(f"openstrikes build: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    counts = info.descriptor.get("counts", {})
    print(
        f"built {target} ({counts.get('events', 0)} events, {counts.get('withdrawn', 0)} withdrawn, "
        f"{counts.get('actors', 0)} actors); datapackage.json sha256 {info.sha256}"
    )
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    """`openstrikes diff OLD [NEW] [--format text|json]`: builds, zips, git refs or the work tree."""
    root = repo_root()
    try:
        old = open_snapshot(args.old, root)
        new = open_snapshot(args.new, root)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    try:
        result = compare(old, new)
    except DiffError as exc:
        print(f"openstrikes diff: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(render_json(result) if args.output_format == "json" else render_text(result))
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    """`openstrikes release [--version X.Y.Z] [--out DIR] [--dry-run]`."""
    root = repo_root()
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    try:
        meta = load_metadata(root / "dataset")
        _stage("validating")
        files = validated_files(root / "dataset")
    except InvalidDataset as exc:
        return _report_invalid(exc, "release")
    except PackageError as exc:
        print(f"openstrikes release: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        plan = plan_release(root, out, args.release_version)
    except VersionRefused as exc:
        raise UsageError(str(exc)) from None
    except (ReleaseError, PackageError, DiffError) as exc:
        print(f"openstrikes release: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    base = f"since {plan.baseline}" if plan.baseline else ""
    kind = "first release" if plan.level == "initial" else f"{plan.level}-level changes {base}"
    print(f"release {meta['name']} {plan.current} -> {plan.version} ({kind})")
    print()
    print(plan.section)
    if args.dry_run:
        print("dry run: nothing written", file=sys.stderr)
        return EXIT_OK
    try:
        package_dir, zip_path = apply_release(root, out, plan, progress=True, validated=files)
    except PackageError as exc:
        print(f"openstrikes release: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(
        f"wrote {package_dir} and {zip_path}; dataset/datapackage.json is now {plan.version}, "
        "CHANGELOG.md and CITATION.cff updated"
    )
    return EXIT_OK
