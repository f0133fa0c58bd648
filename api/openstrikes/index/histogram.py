"""Events per month, week or day and strike type (the explorer's timeline): the SQL and its rows."""

from __future__ import annotations

from typing import Any

from openstrikes.index.filters import Where
from openstrikes.index.memo import remembered
from openstrikes.index.store import Store

# The first day of the bucket of events.date_start (weeks start on Monday; %w is 0 on Sunday).
BUCKETS: dict[str, str] = {
    "month": "substr(events.date_start, 1, 7) || '-01'",
    "week": "date(events.date_start, '-' || ((CAST(strftime('%w', events.date_start) AS INTEGER) + 6) % 7) || ' days')",
    "day": "events.date_start",
}


def histogram_sql(interval: str, where: Where) -> str:
    bucket = BUCKETS[interval]
    return (
        f"SELECT {bucket} AS bucket, events.strike_type, count(*) FROM events WHERE {where.sql} "
        "GROUP BY bucket, events.strike_type ORDER BY bucket, events.strike_type"
    )


def histogram(store: Store, interval: str, where: Where) -> list[dict[str, Any]]:
    """One row per non-empty bucket, by date: its first day, `events`, and counts by strike type
    (remembered per release and query)."""
    key = ("histogram", store.sha256, interval, where.sql, where.params)
    return remembered(key, lambda: _histogram(store, interval, where))


def _histogram(store: Store, interval: str, where: Where) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for bucket, kind, n in store.query(histogram_sql(interval, where), where.params):
        start = bucket.decode() if isinstance(bucket, bytes) else str(bucket)
        row = rows.setdefault(start, {"start": start, "events": 0, "by_strike_type": {}})
        row["events"] += n
        row["by_strike_type"][kind.decode() if isinstance(kind, bytes) else str(kind)] = n
    return list(rows.values())
