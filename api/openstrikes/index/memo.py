"""Answers of whole-release overviews (grid, histogram) kept per query: a release never changes,
so the same query always gives the same rows. Bounded; cleared whole when full."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
MAX_ENTRIES = 2048

_lock = threading.Lock()
_answers: dict[Hashable, object] = {}


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """The answer for `key` (which must name the release), computed once."""
    try:
        hash(key)
    except TypeError:  # a parameter that is not hashable: computed every time
        return compute()
    hit = _answers.get(key, _answers)
    if hit is not _answers:
        return hit  # type: ignore[return-value]
    value = compute()
    with _lock:
        if len(_answers) >= MAX_ENTRIES:
            _answers.clear()
        _answers[key] = value
    return value
