"""Strict parsing of JSON record bytes, canonical writing, and finding the line of a JSON pointer."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import orjson

from openstrikes.problems import Problem, pointer_join

MAX_BYTES = 1024 * 1024
_BOM_UTF8 = b"\xef\xbb\xbf"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


@dataclass
class Parsed:
    """The outcome of reading one file: the data (None when unusable), its text and problems."""

    data: Any = None
    text: str | None = None
    raw: bytes | None = None
    canonical: bool = False  # known to be byte-identical to its canonical form
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None

    def text_or_decoded(self) -> str | None:
        """The file's text (decoded lazily for files read on the fast path)."""
        if self.text is None and self.raw is not None and self.data is not None:
            self.text = self.raw.decode("utf-8")
        return self.text


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _BadConstant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _pairs_no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise _BadConstant(name)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def loads_strict(text: str) -> Any:
    """Parse JSON text, refusing duplicate keys and NaN/Infinity. Raises ValueError subclasses."""
    return json.loads(text, object_pairs_hook=_pairs_no_duplicates, parse_constant=_reject_constant)


def parse_json_bytes(
    raw: bytes, display: str, shape: KeyShape | None = None, out: Parsed | None = None
) -> Parsed:
    """Parse the bytes of one record strictly. Never raises: every way they can be unusable
    becomes a Problem (of file `display`), added to `out` (a fresh Parsed by default)."""
    out = out if out is not None else Parsed()

    def problem(
        code: str, message: str, hint: str, line: int | None = None, col: int | None = None
    ) -> Parsed:
        out.problems.append(Problem(display, "", code, message, hint, line, col))
        return out

    out.raw = raw
    if shape is not None and raw[:1] == b"{":
        try:
            data = orjson.loads(raw)
            if type(data) is dict and is_canonical(data, raw, shape):
                out.data, out.canonical = data, True
                return out
        except (orjson.JSONDecodeError, TypeError, ValueError):
            pass
    if not raw.strip():
        return problem("OS103", "file is empty", "write a JSON object (run `openstrikes new` for a template)")
    if raw.startswith(_UTF16_32_BOMS) or b"\x00" in raw:
        return problem(
            "OS102", "file is UTF-16 or UTF-32 encoded", "save the file as UTF-8 without a byte order mark"
        )
    if raw.startswith(_BOM_UTF8):
        problem(
            "OS102",
            "file starts with a UTF-8 byte order mark",
            "run `openstrikes fmt` (it removes the mark)",
            1,
            1,
        )
        raw = raw[len(_BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", "replace")
        line, col = _line_col(prefix, len(prefix))
        return problem(
            "OS102",
            f"invalid UTF-8 byte 0x{raw[exc.start]:02x} at byte {exc.start}",
            "save the file as UTF-8",
            line,
            col,
        )
    out.text = text
    try:
        data = loads_strict(text)
    except _DuplicateKey as exc:
        line = _first_line_of_key(text, exc.key)
        return problem(
            "OS105", f"duplicate key {exc.key!r}", "keep one value per key and delete the other", line
        )
    except _BadConstant as exc:
        line, col = _find_token(text, exc.name)
        return problem(
            "OS106",
            f"{exc.name} is not valid JSON",
            "use a number or null (JSON has no NaN or Infinity)",
            line,
            col,
        )
    except RecursionError:
        return problem(
            "OS107", "JSON nested too deeply", "records are at most a few levels deep: fix the structure"
        )
    except json.JSONDecodeError as exc:
        if exc.msg.startswith("Invalid control character"):
            return problem(
                "OS104",
                "raw control character inside a string",
                "remove it, or write it escaped (\\t, \\n) if it belongs in the text",
                exc.lineno,
                exc.colno,
            )
        return problem(
            "OS104",
            f"not valid JSON: {exc.msg}",
            "fix the syntax at this line and column (a missing comma, quote or bracket is usual)",
            exc.lineno,
            exc.colno,
        )
    if not isinstance(data, dict):
        return problem(
            "OS108",
            f"top level is a JSON {_json_type(data)}, not an object",
            "a record file holds exactly one JSON object {...}",
            1,
        )
    out.data = data
    return out


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _first_line_of_key(text: str, key: str) -> int | None:
    quoted = re.escape(json.dumps(key, ensure_ascii=False))
    hits = [m.start() for m in re.finditer(quoted + r"\s*:", text)]
    return _line_col(text, hits[1])[0] if len(hits) > 1 else None


def _find_token(text: str, token: str) -> tuple[int | None, int | None]:
    m = re.search(r"(?<![\"\w])-?" + re.escape(token) + r"(?![\"\w])", text)
    return _line_col(text, m.start()) if m else (None, None)


# --- canonical form -------------------------------------------------------------------------
#
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

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[{}\[\]:,])|(?P<lit>-?[0-9][0-9.eE+-]*|true|false|null|-?[A-Za-z]+))',
    re.S,
)


def pointer_lines(text: str) -> dict[str, int]:
    """Map every JSON pointer of a (valid) JSON document to the line where its value starts.

    Iterative, so it is safe on deeply nested input; only used for files that have problems.
    """
    lines: dict[str, int] = {}
    stack: list[list[Any]] = []  # [kind, pointer, next key or index, expecting_key]
    pos = 0
    line = 1
    pending_key: str | None = None
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if not m:
            break
        start = m.start(m.lastgroup) if m.lastgroup else pos
        line += text.count("\n", pos, start)
        tok = m.group(m.lastgroup) if m.lastgroup else ""
        line += text.count("\n", start, m.end())
        pos = m.end()
        top = stack[-1] if stack else None
        if m.lastgroup == "punct":
            if tok in "{[":
                ptr = _value_pointer(top, pending_key)
                lines.setdefault(ptr, line - tok.count("\n"))
                stack.append(["obj" if tok == "{" else "arr", ptr, 0, tok == "{"])
                pending_key = None
            elif tok in "}]":
                stack.pop()
                if stack and stack[-1][0] == "arr":
                    stack[-1][2] += 1
            elif tok == "," and top is not None and top[0] == "obj":
                top[3] = True
            continue
        if top is not None and top[0] == "obj" and top[3] and m.lastgroup == "str":
            pending_key = json.loads(tok)
            top[3] = False
            continue
        ptr = _value_pointer(top, pending_key)
        lines.setdefault(ptr, line)
        pending_key = None
        if top is not None and top[0] == "arr":
            top[2] += 1
    return lines


def _value_pointer(top: list[Any] | None, key: str | None) -> str:
    if top is None:
        return ""
    if top[0] == "obj":
        return top[1] + pointer_join(key if key is not None else "")
    return top[1] + pointer_join(top[2])


def line_of(lines: dict[str, int], pointer: str) -> int | None:
    """The line of `pointer`, or of its nearest existing ancestor (a missing key points at its parent)."""
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]
