"""RFC 3339 date-times: the one parser of the server side, and their sortable UTC form."""

from __future__ import annotations

from datetime import UTC, datetime


# Mirror: openstrikes_client._models parses the same date-times into its dataclasses (the client
# imports nothing of the server).
def parse_rfc3339(text: str) -> datetime:
    """An aware datetime from an RFC 3339 date-time (`Z`, `z` or an offset; naive -> UTC).
    Raises ValueError for text Python cannot read (e.g. a leap second)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def utc_key(stamp: str) -> str:
    """A sortable UTC form of an RFC 3339 date-time ("2020-01-02T03:04:05.000000Z")."""
    u = parse_rfc3339(stamp).astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"


def sortable_utc(stamp: str) -> str:
    """`utc_key` for comparing instants of records already validated (the usual
    YYYY-MM-DDTHH:MM:SSZ without parsing), or the text itself when Python cannot read it."""
    if len(stamp) == 20 and stamp[-1] == "Z":
        return stamp[:19] + ".000000Z"
    try:
        return utc_key(stamp)
    except (ValueError, OverflowError):
        return stamp
