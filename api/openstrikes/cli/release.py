"""Handlers of `openstrikes diff` and `openstrikes release`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS, UsageError
from openstrikes.cli.package import report_invalid, stage, waiting
from openstrikes.package.build import validated_files
from openstrikes.package.metadata import InvalidDataset, PackageError, load_metadata
from openstrikes.paths import repo_root
from openstrikes.release.diff import DiffError, compare
from openstrikes.release.diff_report import render_json, render_text
from openstrikes.release.plan import ReleaseError, VersionRefused, apply_release, plan_release
from openstrikes.release.snapshots import open_snapshot


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
        stage("validating")
        files = validated_files(root / "dataset")
    except InvalidDataset as exc:
        return report_invalid(exc, "release")
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
        package_dir, zip_path = apply_release(
            root, out, plan, progress=True, validated=files, on_wait=waiting
        )
    except PackageError as exc:
        print(f"openstrikes release: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(
        f"wrote {package_dir} and {zip_path}; dataset/datapackage.json is now {plan.version}, "
        "CHANGELOG.md and CITATION.cff updated"
    )
    return EXIT_OK
