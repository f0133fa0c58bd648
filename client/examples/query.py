"""Query the API: drone strikes in Iraq since 2024, pinned to one release (reproducible)."""

from __future__ import annotations

import sys
from datetime import date

from openstrikes_client import Client


def main(base_url: str, release: str | None = None) -> None:
    with Client(base_url, release=release) as client:
        page = client.events.list(country="IQ", strike_type="drone_strike", date_start__gte=date(2024, 1, 1))
        print(f"{page.total} events; first page:")
        for event in page:
            killed = event.casualties.killed
            print(event.id, event.date_start, event.location, killed.best if killed else "unknown")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000", *sys.argv[2:3])
