"""Walk every matching event (all pages, lazily) and count them by attacker."""

from __future__ import annotations

import sys
from collections import Counter

from openstrikes_client import Client


def main(base_url: str) -> None:
    counts: Counter[str] = Counter()
    with Client(base_url) as client:
        for event in client.events.iter(status__in=["declared", "claimed"]):
            counts.update(a.actor for a in event.attackers)
    for actor, n in counts.most_common(10):
        print(f"{n:6d}  {actor}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
