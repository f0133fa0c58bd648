"""`openstrikes serve`: the API on the embedded default (SQLite index, werkzeug's threaded server).

Production: gunicorn, N workers, each opening the same release files and the same read-only index
(built once, under a lock, by whichever worker comes first):

    OPENSTRIKES_RELEASES=/srv/releases gunicorn -w 4 -b 0.0.0.0:8000 'openstrikes.web:create_app()'
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS, UsageError
from openstrikes.index.errors import StoreError
from openstrikes.package.build import build_package
from openstrikes.package.metadata import InvalidDataset, PackageError
from openstrikes.paths import dataset_dir
from openstrikes.problems import format_human
from openstrikes.web.app import create_app


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the releases in --releases, or a fresh build of the dataset, on --host:--port."""
    from werkzeug.serving import run_simple

    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: expected 1 to 65535")
    tmp: Path | None = None
    try:
        if args.releases:
            releases = Path(args.releases)
            if not releases.is_dir():
                raise UsageError(f"--releases {releases} is not a directory")
        else:
            tmp = Path(tempfile.mkdtemp(prefix="openstrikes-serve-"))
            print("building the dataset (no --releases given)...", file=sys.stderr)
            try:
                build_package(dataset_dir(), tmp, progress=sys.stderr.isatty())
            except InvalidDataset as exc:
                print(format_human(exc.problems, color=sys.stderr.isatty()), file=sys.stderr)
                print(
                    f"openstrikes serve: the dataset has {len(exc.problems)} problem(s); "
                    "fix them (openstrikes validate) or pass --releases",
                    file=sys.stderr,
                )
                return EXIT_PROBLEMS
            releases = tmp
        try:
            app = create_app(releases)
        except (StoreError, PackageError) as exc:
            print(f"openstrikes serve: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS
        reg = app.extensions["openstrikes"]
        url = f"http://{args.host}:{args.port}"
        print(
            f"serving release(s) {', '.join(sorted(reg.releases))} (latest {reg.latest}) at {url}/v1 "
            f"- docs {url}/docs - Ctrl-C stops",
            file=sys.stderr,
        )
        try:
            run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)
        except OSError as exc:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
        except KeyboardInterrupt:
            pass
        return EXIT_OK
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
