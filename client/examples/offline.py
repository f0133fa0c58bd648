"""Download a release zip (verified by sha256), then query it offline and cite it."""

from __future__ import annotations

import sys
from pathlib import Path

from openstrikes_client import Client, open_release


def main(base_url: str, folder: str = "openstrikes-data") -> None:
    Path(folder).mkdir(exist_ok=True)
    with Client(base_url) as client:
        path = client.download(folder, "zip", progress=lambda done, total: print(f"\r{done}/{total}", end=""))
    print(f"\nverified {path}")
    with open_release(path) as release:
        print(release.version, release.events.count(country="SY"), "events in Syria")
        print(release.citation())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000", *sys.argv[2:3])
