"""`openstrikes serve`: the API on the embedded default (SQLite index).

By default a production server (gunicorn, run in this process: worker processes with threads,
keep-alive, timeouts, graceful shutdown on SIGTERM, `kill -HUP` to serve newly added releases);
`--dev` runs werkzeug's development server instead (one process, a thread per connection, the
same client read timeout).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS, UsageError
from openstrikes.index.errors import StoreError
from openstrikes.package.build import build_package
from openstrikes.package.metadata import InvalidDataset, PackageError, load_metadata
from openstrikes.paths import repo_root
from openstrikes.problems import format_human
from openstrikes.release.released import build_version
from openstrikes.web.app import create_app
from openstrikes.web.development import dev_server
from openstrikes.web.errors import ConfigError
from openstrikes.web.production import Server, default_workers, listen, worker_class


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the releases in --releases, or a fresh build of the dataset, on --host:--port."""
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: expected 1 to 65535")
    for name in ("workers", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UsageError(f"--{name} {getattr(args, name)}: expected 1 or more")
    if not 0 < args.client_timeout < 3600:
        raise UsageError(f"--client-timeout {args.client_timeout}: expected seconds, above 0 and below 3600")
    tmp: Path | None = None
    master = os.getpid()
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    try:
        if args.releases:
            releases = Path(args.releases).resolve()
            if not releases.is_dir():
                raise UsageError(f"--releases {args.releases} is not a directory")
        else:
            tmp = Path(tempfile.mkdtemp(prefix="openstrikes-serve-"))
            print("building the dataset (no --releases given)...", file=sys.stderr)
            root = repo_root()
            try:
                version = build_version(root, tmp, load_metadata(root / "dataset"))
                build_package(root / "dataset", tmp, version=version, progress=sys.stderr.isatty())
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
        except (StoreError, PackageError, ConfigError) as exc:
            print(f"openstrikes serve: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS
        if args.dev:
            return _run_dev(app, sock, args)
        return _run_production(app, releases, sock, args)
    finally:
        sock.close()
        # Worker processes leave through here too (gunicorn forks them from this frame).
        if tmp is not None and os.getpid() == master:
            shutil.rmtree(tmp, ignore_errors=True)


def _announce(app: Any, url: str, how: str) -> None:
    reg = app.extensions["openstrikes"]
    print(
        f"serving release(s) {', '.join(sorted(reg.releases))} (latest {reg.latest}) at {url}/v1 "
        f"- docs {url}/docs - {how}",
        file=sys.stderr,
    )


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _run_production(app: Any, releases: Path, sock: socket.socket, args: argparse.Namespace) -> int:
    url = _url(args.host, args.port)
    first = [app]

    def factory() -> Any:
        if first:  # the application already loaded (and checked) above
            return first.pop()
        loaded = create_app(releases)
        _announce(loaded, url, "reloaded")
        return loaded

    def refused(exc: Exception) -> None:
        print(
            f"openstrikes serve: reload refused, still serving the previous releases: {exc}", file=sys.stderr
        )

    workers = args.workers or default_workers()
    options = {
        "bind": [f"fd://{sock.detach()}"],  # gunicorn owns the listening socket from here
        "workers": workers,
        "worker_class": worker_class(args.client_timeout),
        "threads": args.threads,
        "keepalive": 5,
        "timeout": 60,
        "graceful_timeout": 20,
        "preload_app": True,
        "proc_name": "openstrikes",
        "loglevel": "warning",
        "errorlog": "-",
        "accesslog": None,
        "when_ready": lambda _arbiter: _announce(
            app, url, f"{workers} worker(s); SIGHUP reloads the releases, SIGTERM stops"
        ),
    }
    Server(factory, options, on_reload_error=refused).run()
    return EXIT_OK


def _run_dev(app: Any, sock: socket.socket, args: argparse.Namespace) -> int:
    server = dev_server(args.host, args.port, app, sock, args.client_timeout)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop as Ctrl-C does: clean up
    _announce(app, _url(args.host, args.port), "development server - Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK
