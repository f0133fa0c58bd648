"""Argument parsing and dispatch of the `openstrikes` command."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from openstrikes import __version__
from openstrikes.cli.exits import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError
from openstrikes.paths import RepoNotFound


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openstrikes",
        description="Contributor toolchain, package builder and API server of the OpenStrikes dataset.",
    )
    parser.add_argument("--version", action="version", version=f"openstrikes {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("new", help="scaffold a new event file with a fresh id")
    p.add_argument("--date", help="local date of the strike, YYYY-MM-DD")
    p.add_argument("--country", help="ISO 3166-1 alpha-2 code, e.g. SY")
    p.add_argument("--strike-type", help="airstrike, drone_strike, missile, rocket, artillery, ...")
    p.add_argument("--attacker", help="actor id from dataset/actors/")
    p.add_argument("--location", help="named place as the sources give it")
    p.add_argument("--place", help="slug of a place in dataset/places/ (fills country, coordinates, ...)")
    p.add_argument("--water-body", help="for an event at sea (no country): red_sea, gulf_of_aden, ...")
    p.add_argument("--source-url", help="URL of the first source")
    p.add_argument("--no-input", action="store_true", help="never prompt; fail if a required flag is missing")
    p.set_defaults(handler="openstrikes.cli.toolchain:cmd_new")

    p = sub.add_parser("fmt", help="rewrite record files in canonical form")
    p.add_argument("paths", nargs="*", help="files or directories (default: the whole dataset)")
    p.add_argument("--check", action="store_true", help="write nothing; list files that differ, exit 1")
    p.set_defaults(handler="openstrikes.cli.toolchain:cmd_fmt")

    p = sub.add_parser("migrate", help="rewrite event records to the current schema (1.1.0)")
    p.add_argument(
        "--places",
        action="store_true",
        help="also create registry entries for locations two or more events share, and point them there",
    )
    p.add_argument(
        "--check", action="store_true", help="write nothing; list what would change, exit 1 if any"
    )
    p.add_argument("--now", help=argparse.SUPPRESS)  # the `modified` stamp of re-placed events (tests)
    p.set_defaults(handler="openstrikes.cli.migrate:cmd_migrate")

    p = sub.add_parser("validate", help="check record files: schema, meaning and likely duplicates")
    p.add_argument("paths", nargs="*", help="files or directories (default: the whole dataset)")
    p.add_argument("--format", choices=["human", "json", "github"], default="human", dest="output_format")
    p.set_defaults(handler="openstrikes.cli.validate:cmd_validate")

    p = sub.add_parser(
        "stats", help="coverage tables of the dataset (events by month, country, type, attacker)"
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update the tables in dataset/README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if dataset/README.md is stale")
    p.set_defaults(handler="openstrikes.cli.stats:cmd_stats")

    p = sub.add_parser("codebook", help="the codebook: every field and code with its definition")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write CODEBOOK.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if CODEBOOK.md is stale")
    p.set_defaults(handler="openstrikes.cli.codebook:cmd_codebook")

    p = sub.add_parser("build", help="validate and build the versioned data package")
    p.add_argument("--out", default="dist", help="output directory (default: dist)")
    p.set_defaults(handler="openstrikes.cli.package:cmd_build")

    p = sub.add_parser("diff", help="compare two builds, zips or git refs")
    p.add_argument("old", help="build directory, zip or git ref")
    p.add_argument(
        "new", nargs="?", default=None, help="build directory, zip or git ref (default: work tree)"
    )
    p.add_argument("--format", choices=["text", "json"], default="text", dest="output_format")
    p.set_defaults(handler="openstrikes.cli.release:cmd_diff")

    p = sub.add_parser("release", help="version the dataset, write the CHANGELOG section and the zip")
    p.add_argument("--version", dest="release_version", help="X.Y.Z (default: proposed from the diff)")
    p.add_argument("--out", default="dist", help="output directory (default: dist)")
    p.add_argument("--dry-run", action="store_true", help="print the proposal, write nothing")
    p.set_defaults(handler="openstrikes.cli.release:cmd_release")

    p = sub.add_parser("serve", help="serve the read-only API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--releases", help="directory of built releases (default: build the dataset)")
    p.add_argument("--workers", type=int, help="worker processes (default: one per core, at most 4)")
    p.add_argument("--threads", type=int, default=8, help="threads per worker process (default: 8)")
    p.add_argument(
        "--client-timeout",
        type=float,
        default=10.0,
        help="seconds a client may pause while sending its request before it is dropped (default: 10)",
    )
    p.add_argument(
        "--dev",
        action="store_true",
        help="werkzeug's development server instead (one process, a thread per connection)",
    )
    p.set_defaults(handler="openstrikes.cli.serve:cmd_serve")
    return parser


def _load(handler: str) -> Callable[[argparse.Namespace], int]:
    """The handler named "module:function", imported only when its command runs: `validate` must
    not pay for importing Flask, nor `serve` for the validators."""
    module_name, _, func = handler.partition(":")
    module = importlib.import_module(module_name)
    fn: Callable[[argparse.Namespace], int] = getattr(module, func)
    return fn


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `openstrikes` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _load(args.handler)(args)
    except (UsageError, RepoNotFound) as exc:
        print(f"openstrikes {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last line of defence: no traceback reaches a user
        print(
            f"openstrikes {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in openstrikes; please report it with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
