"""gunicorn settings for running gunicorn yourself with what `openstrikes serve` does:

    OPENSTRIKES_RELEASES=/srv/releases gunicorn -c python:openstrikes.web.gunicorn_conf \\
        -b 127.0.0.1:8001 'openstrikes.web:create_app()'

gthread workers whose client reads time out and whose own errors (414, 431, 400) have the JSON
error shape, the application preloaded (the index is opened once, in the master), and
`kill -HUP <master>` loading it again, so that a release added to the releases directory is
served. gunicorn alone keeps a preloaded application across a HUP (its documented behaviour):
`on_reload` below loads it anew, and keeps the old one if the new one cannot be loaded (a
release that fails verification). Command-line options override these settings.
"""

from __future__ import annotations

from typing import Any

worker_class = "openstrikes.web.production.TimedThreadWorker"
threads = 8
keepalive = 5
timeout = 60
graceful_timeout = 20
preload_app = True


def on_reload(arbiter: Any) -> None:
    """On SIGHUP, before the new workers are forked: a preloaded application is loaded again."""
    app = arbiter.app
    if not app.cfg.preload_app:
        return  # each new worker loads the application itself
    try:
        app.callable = app.load()
    except Exception as exc:
        arbiter.log.error("openstrikes: reload refused, still serving the previous releases: %s", exc)
