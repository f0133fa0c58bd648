"""Aggregate casualties per country and month into a pandas DataFrame (pandas is optional)."""

from __future__ import annotations

import sys
from typing import Any

from openstrikes_client import Client


def main(base_url: str) -> None:
    with Client(base_url) as client:
        rows = client.aggregates(["country", "month"]).records()
    try:
        import pandas as pd  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        for row in rows:
            print(row)
        return
    frame: Any = pd.DataFrame(rows).set_index(["country", "month"])
    print(frame[["events", "killed_min", "killed_max"]])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
