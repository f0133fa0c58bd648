"""The one error type of validation: a Problem names the file, the place, a stable code and the fix."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file.

    `pointer` is an RFC 6901 JSON pointer into the record ("" for the whole file);
    `line` is filled in when the place can be found in the file's text.
    """

    file: str
    pointer: str
    code: str
    message: str
    hint: str
    line: int | None = field(default=None, compare=False)
    column: int | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def pointer_join(*parts: str | int) -> str:
    """Build a JSON pointer from path parts, escaping `~` and `/` as RFC 6901 says."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def format_human(problems: Iterable[Problem], color: bool = False) -> str:
    """Render problems for a terminal, one block per problem."""
    red, dim, bold, reset = ("\x1b[31m", "\x1b[2m", "\x1b[1m", "\x1b[0m") if color else ("",) * 4
    lines = []
    for p in problems:
        where = p.file + (f":{p.line}" if p.line else "") + (f":{p.column}" if p.column else "")
        at = f" at {p.pointer}" if p.pointer else ""
        lines.append(f"{bold}{where}{reset}: {red}{p.code}{reset} {p.message}{at}")
        lines.append(f"  {dim}fix:{reset} {p.hint}")
    return "\n".join(lines)


def format_json(problems: Iterable[Problem]) -> str:
    """Render problems as one JSON document: {"problems": [...], "count": n}."""
    items = [p.to_dict() for p in problems]
    return json.dumps({"count": len(items), "problems": items}, indent=2, ensure_ascii=False)


def _github_escape(value: str, is_property: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(problems: Iterable[Problem]) -> str:
    """Render problems as GitHub Actions workflow commands (`::error file=...,line=...::`)."""
    out = []
    for p in problems:
        props = [f"file={_github_escape(p.file, True)}"]
        if p.line:
            props.append(f"line={p.line}")
        if p.column:
            props.append(f"col={p.column}")
        props.append(f"title={_github_escape(p.code, True)}")
        at = f" at {p.pointer}" if p.pointer else ""
        body = _github_escape(f"{p.code} {p.message}{at}. Fix: {p.hint}")
        out.append(f"::error {','.join(props)}::{body}")
    return "\n".join(out)
