"""The words full-text search (`q`) matches on, and the text of an event it searches.

Mirrored on purpose by the client's offline engine (`openstrikes_client` `words`): the client
imports nothing of the server, and a parity test holds the two to the same tokens."""

from __future__ import annotations

from typing import Any


def search_words(text: str) -> list[str]:
    """Lower-case alphanumeric words: the tokens `q` matches on (as the client's `words`)."""
    out: list[str] = []
    cur: list[str] = []
    for ch in text.lower():
        if ch.isalnum():
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def search_text(event: dict[str, Any]) -> str:
    """The text `q` searches: summary, place names, operation and source titles."""
    parts = [event.get("summary") or "", event.get("location") or "", event.get("admin1") or ""]
    parts += [event.get("admin2") or "", event.get("operation") or ""]
    parts += [s.get("title") or "" for s in event.get("sources") or ()]
    return " ".join(search_words(" ".join(parts)))
