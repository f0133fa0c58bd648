"""Reading record files: the only place the toolchain opens one (regular files only, no links,
bounded size), handing the bytes to the strict parser of jsontext."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from openstrikes.problems import Problem
from openstrikes.toolchain.canonical import KeyShape
from openstrikes.toolchain.jsontext import MAX_BYTES, Parsed, parse_json_bytes

# How record files are opened: a symbolic link fails to open (ELOOP) instead of being followed,
# and a FIFO does not block the reader.
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0)


def read_json_file(
    path: str | Path,
    display: str,
    shape: KeyShape | None = None,
    max_bytes: int = MAX_BYTES,
    dir_fd: int | None = None,
) -> Parsed:
    """Read one record file. Never raises: every way it can be unusable becomes a Problem.

    With `dir_fd` (an open directory), `path` is a name in that directory: opening it then
    looks up one name, not every folder of a long path.

    With the `shape` of its kind of record, a file already in canonical form takes a fast path:
    parsed by orjson and found equal to its canonical bytes, which also proves it has no
    duplicate keys, NaN, BOM or bad UTF-8.
    Anything else is parsed again by the strict reader that explains what is wrong
    (`jsontext.parse_json_bytes`).
    """
    out = Parsed()

    def problem(
        code: str, message: str, hint: str, line: int | None = None, col: int | None = None
    ) -> Parsed:
        out.problems.append(Problem(display, "", code, message, hint, line, col))
        return out

    try:
        fd = os.open(path, OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP or _is_link(path, dir_fd):
            return problem(
                "OS100", "is a symbolic link, not a regular file", "replace the link with the file itself"
            )
        return problem(
            "OS100", f"cannot read file: {exc.strerror or exc}", "check the path exists and is readable"
        )
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return problem(
                "OS100", "is not a regular file", "event and actor records must be plain .json files"
            )
        if st.st_size > max_bytes:
            return problem(
                "OS101",
                f"file is {st.st_size} bytes, over the {max_bytes}-byte limit",
                "one record is a few kilobytes: split it or remove the unrelated content",
            )
        raw = _read_all(fd, st.st_size)
    except OSError as exc:
        return problem("OS100", f"cannot read file: {exc.strerror or exc}", "check file permissions")
    finally:
        os.close(fd)
    return parse_json_bytes(raw, display, shape, out)


def _is_link(path: str | Path, dir_fd: int | None) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _read_all(fd: int, size: int) -> bytes:
    """Every byte of an open file (the size is a hint: the file may change while read)."""
    want = max(size + 1, 1 << 16)
    chunks = []
    while chunk := os.read(fd, want):
        chunks.append(chunk)
        if len(chunk) < want:  # a regular file reads short only at its end: spare a read
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
