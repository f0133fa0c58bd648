"""The words full-text search (`q`) matches on, and the text of an event it searches.

Mirrored on purpose by the client's offline engine (`openstrikes_client` `words`): the client
imports nothing of the server, and a parity test holds the two to the same tokens."""

from __future__ import annotations

import re
from typing import Any

# What SQLite FTS5's unicode61 tokenizer (the search index) does beyond lower-case alphanumeric
# words: it folds these letters further, and splits at these letters (newer than its Unicode 6.1
# tables). The words are made the same way here, so the index holds exactly the words `q` is split
# into (held to SQLite itself by tests/client/test_client_server_parity.py).
FTS_FOLD = str.maketrans(
    {
        "\u00b5": "\u03bc",  # micro sign -> mu
        "\u017f": "s",  # long s
        "\u03c2": "\u03c3",  # final sigma -> sigma
        "\u03d0": "\u03b2",
        "\u03d1": "\u03b8",
        "\u03d5": "\u03c6",
        "\u03d6": "\u03c0",
        "\u03f0": "\u03ba",
        "\u03f1": "\u03c1",
        "\u03f5": "\u03b5",  # Greek symbol variants -> letters
        "\u1e9b": "\u1e61",  # long s with dot above
        "\u1fbe": "\u03b9",  # prosgegrammeni -> iota
    }
)
FTS_SEPARATORS = frozenset(chr(c) for c in (*range(0x19B0, 0x19C1), 0x19C8, 0x19C9, 0x1CF2, 0x1CF3))


# A run of characters that are alphanumeric (str.isalnum: `\w` without `_`) and not separators.
_WORD = re.compile(r"[^\W_" + re.escape("".join(sorted(FTS_SEPARATORS))) + r"]+")


def search_words(text: str) -> list[str]:
    """Lower-case alphanumeric words, folded and split as FTS5's unicode61 does: the tokens `q`
    matches on (as the client's `words`)."""
    return _WORD.findall(text.lower().translate(FTS_FOLD))


def search_text(event: dict[str, Any]) -> str:
    """The text `q` searches: summary, place names, operation and source titles."""
    parts = [event.get("summary") or "", event.get("location") or "", event.get("admin1") or ""]
    parts += [event.get("admin2") or "", event.get("operation") or ""]
    parts += [s.get("title") or "" for s in event.get("sources") or ()]
    return " ".join(search_words(" ".join(parts)))
