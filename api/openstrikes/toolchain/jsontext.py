"""Strict parsing of JSON record bytes, canonical writing, and finding the line of a JSON pointer."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import orjson

from openstrikes.problems import Problem, pointer_join
from openstrikes.toolchain.canonical import KeyShape, is_canonical

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
    becomes a Problem (of file `display`), added to `out` (a fresh Parsed by default).

    Long because it is one sequence of steps (fast canonical path, empty, encoding, BOM, UTF-8,
    JSON syntax, duplicate keys, constants, depth, top-level type), each ending in its own problem
    code; it reads best in that order."""
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
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits())
        m = re.search(rf"\d{{{sys.get_int_max_str_digits() + 1},}}", text)
        line, col = _line_col(text, m.start()) if m else (None, None)
        digits = len(m.group()) if m else 0
        return problem(
            "OS104",
            f"a number of {digits} digits is too long to read",
            "numbers in a record are counts or coordinates: write the value the source gives",
            line,
            col,
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
