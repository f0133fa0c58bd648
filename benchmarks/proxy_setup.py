"""nginx with deploy/openstrikes.nginx.conf, rewritten for a throwaway run on 127.0.0.1 (used by
tests/test_deploy.py and benchmarks/soak.py): the replicas' ports, the listen port, the cache
directory, and optionally the rate limit; everything else is the file operators install."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "deploy" / "openstrikes.nginx.conf"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def nginx_conf(tmp: Path, listen: int, upstreams: list[int], rate_per_second: int | None = None) -> Path:
    """Write tmp/nginx.conf (a main configuration including the site file) and return it."""
    site = SITE.read_text()
    site = site.replace("127.0.0.1:8001", f"127.0.0.1:{upstreams[0]}")
    site = site.replace("127.0.0.1:8002", f"127.0.0.1:{upstreams[1]}")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    site = site.replace("/var/cache/nginx/openstrikes", str(tmp / "cache"))
    if rate_per_second is not None:
        site = re.sub(r"rate=\d+r/s", f"rate={rate_per_second}r/s", site)
    (tmp / "openstrikes.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""  # workers must reach the temporary paths
    main = f"""
{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/openstrikes.conf;
}}
"""
    conf = tmp / "nginx.conf"
    conf.write_text(main)
    return conf


def nginx_command(tmp: Path, conf: Path) -> list[str]:
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (apt-get install -y nginx)")
    return [binary, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf)]
