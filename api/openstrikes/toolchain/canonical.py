"""The canonical form of a record: keys in schema order (a compiled KeyShape), compact orjson
bytes; and the fast test that bytes already are in that form."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import orjson

# The canonical bytes of a record: object keys in schema order (unknown keys after, sorted),
# two-space indentation, UTF-8 without escapes, a final newline, as orjson writes them.


class KeyShape:
    """Key order of one kind of object and the shapes of its members, compiled from a schema."""

    __slots__ = ("children", "items", "rank", "verdicts")

    def __init__(self) -> None:
        self.rank: dict[str, int] | None = None
        self.verdicts: dict[tuple[str, ...], bool] = {}
        self.children: dict[str, KeyShape] = {}
        self.items: KeyShape | None = None


def compile_shape(key_order: dict[str, list[str]]) -> KeyShape:
    """Turn {"": [...], "/sources/*": [...], ...} into a tree walked without string building."""
    root = KeyShape()
    for path, order in key_order.items():
        node = root
        for part in [p for p in path.split("/") if p]:
            if part == "*":
                node.items = node.items or KeyShape()
                node = node.items
            else:
                node = node.children.setdefault(part, KeyShape())
        node.rank = {k: i for i, k in enumerate(order)}
    return root


_ANY = KeyShape()


def order_keys(data: Any, shape: KeyShape) -> Any:
    """A copy of `data` with every object's keys in canonical order."""
    if isinstance(data, dict):
        rank = shape.rank
        if rank is None:
            keys = sorted(data)
        else:
            last = len(rank)
            keys = sorted(data, key=lambda k: (rank.get(k, last), k))
        children = shape.children
        return {k: order_keys(data[k], children.get(k, _ANY)) for k in keys}
    if isinstance(data, list):
        item = shape.items or _ANY
        return [order_keys(v, item) for v in data]
    return data


def in_canonical_order(data: Any, shape: KeyShape) -> bool:
    """Whether every object's keys are already in canonical order (no copy made).

    The verdict for each key sequence is remembered per object kind, so a record costs one
    tuple and one dictionary lookup per object."""
    if type(data) is dict:
        keys = tuple(data)
        verdict = shape.verdicts.get(keys)
        if verdict is None:
            verdict = shape.verdicts[keys] = _keys_in_order(keys, shape.rank)
        if not verdict:
            return False
        children = shape.children
        for key, value in data.items():
            kind = type(value)
            if (kind is dict or kind is list) and not in_canonical_order(value, children.get(key, _ANY)):
                return False
        return True
    if type(data) is list:
        item = shape.items or _ANY
        for value in data:
            kind = type(value)
            if (kind is dict or kind is list) and not in_canonical_order(value, item):
                return False
    return True


def _keys_in_order(keys: tuple[str, ...], rank: dict[str, int] | None) -> bool:
    if rank is None:
        return False
    positions = [rank.get(k, -1) for k in keys]
    return -1 not in positions and all(a < b for a, b in pairwise(positions))


def _ordered_objects(data: dict[str, Any], shape: KeyShape) -> int:
    """How many non-empty objects of `data` are in canonical key order, walking only the members
    the schema gives a shape to; -1 as soon as one is out of order. Objects with no shaped
    members of their own (sources, ranges, attackers) are checked inline: they are most of them."""
    keys = tuple(data)
    verdict = shape.verdicts.get(keys)
    if verdict is None:
        verdict = shape.verdicts[keys] = _keys_in_order(keys, shape.rank)
    if not verdict:
        return -1
    count = 1
    for key, child in shape.children.items():
        value = data.get(key)
        if not value:
            continue
        kind = type(value)
        if kind is list:
            child = child.items  # type: ignore[assignment]
            if child is None:
                continue
            items = value
        elif kind is dict:
            items = (value,)
        else:
            continue
        leaf = not child.children
        verdicts = child.verdicts
        for item in items:
            if type(item) is not dict or not item:
                continue
            if leaf:
                keys = tuple(item)
                verdict = verdicts.get(keys)
                if verdict is None:
                    verdict = verdicts[keys] = _keys_in_order(keys, child.rank)
                if not verdict:
                    return -1
                count += 1
            else:
                inner = _ordered_objects(item, child)
                if inner < 0:
                    return -1
                count += inner
    return count


def is_canonical(data: dict[str, Any], raw: bytes, shape: KeyShape) -> bool:
    """Whether `raw`, parsed as `data`, is already its canonical bytes.

    orjson writing `data` back as exactly `raw` proves the layout; the key order is then checked
    on the objects the schema describes. Every non-empty object opens with `{` and a newline in
    canonical text (a newline inside a string is escaped), so when the count of `{`, or of `{`
    and a newline, matches the objects checked, none was missed; otherwise the full canonical
    form decides."""
    written = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    if len(written) + 1 != len(raw) or not raw.startswith(written) or raw[-1:] != b"\n":
        return False
    checked = _ordered_objects(data, shape)
    return (
        checked == _count_braces(raw)  # at most the objects: usually no `{` is in a string or `{}`
        or checked == raw.count(b"{\n")
        or canonical_bytes(data, shape) == raw
    )


def _count_braces(raw: bytes) -> int:
    """How many times `{` occurs (found by memchr: bytes.count scans byte by byte)."""
    count = 0
    at = raw.find(b"{")
    while at >= 0:
        count += 1
        at = raw.find(b"{", at + 1)
    return count


def canonical_bytes(data: Any, shape: KeyShape) -> bytes:
    """The canonical bytes of a record (raises TypeError for values JSON cannot hold)."""
    ordered = data if in_canonical_order(data, shape) else order_keys(data, shape)
    return orjson.dumps(ordered, option=orjson.OPT_INDENT_2) + b"\n"


# --- locating a JSON pointer in text ----------------------------------------------------------
