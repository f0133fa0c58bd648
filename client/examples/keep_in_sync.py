"""Keep a local copy current: the first run downloads, later runs fetch only what changed."""

from __future__ import annotations

import sys

from openstrikes_client import open_release, sync


def main(base_url: str, folder: str = "openstrikes-live") -> None:
    result = sync(folder, base_url)
    if result.previous_version is None:
        print(f"downloaded release {result.version}: {', '.join(result.downloaded)}")
    elif result.up_to_date:
        print(f"release {result.version}: already up to date")
    else:
        how = "from the changes feed" if result.incremental else "by downloading the files again"
        print(f"{result.previous_version} -> {result.version}: {len(result.changed)} events updated {how}")
        print(f"withdrawn since the last sync: {', '.join(result.withdrawn) or 'none'}")
    with open_release(folder) as release:
        print(release.events.count(), "live events")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000", *sys.argv[2:3])
