"""Verified, resumable downloads: stream to a hidden `.part` file next to the destination, resume
with Range after a broken connection, check size and sha256, and only then rename into place."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import requests

from ._errors import APIError, IntegrityError
from ._transport import Transport

Progress = Callable[[int, int | None], None]
"""Called as `progress(bytes_done, bytes_total_or_None)` while a download runs."""

CHUNK = 1 << 16


def part_path(dest: Path) -> Path:
    """Where the download of `dest` is kept until it is verified."""
    return dest.with_name(f".{dest.name}.part")


def sha256_file(path: Path) -> str:
    """The sha256 of a file, as lower-case hex."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def fetch_file(
    transport: Transport,
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    size: int | None = None,
    progress: Progress | None = None,
    resume: bool = True,
) -> Path:
    """Download `url` to `dest`, verified against `sha256` and `size` when given.

    A broken connection is resumed with a Range request (as many times as the transport retries);
    a download that stays short, or whose hash differs, raises IntegrityError and leaves nothing
    at `dest` (a short one keeps its `.part` file so a later call resumes it).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    h = hashlib.sha256()
    offset = 0
    if resume and sha256 and part.exists():
        offset = part.stat().st_size
        if size is not None and offset > size:
            offset = 0
        else:
            with part.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
    if offset == 0:
        part.unlink(missing_ok=True)
        h = hashlib.sha256()
    failures = 0
    total = size
    while True:
        if size is not None and offset == size:
            break
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            resp = transport.request("GET", url, headers=headers, stream=True)
        except APIError as exc:
            if exc.status == 416 and offset:  # our part is already complete, or stale: start over
                part.unlink(missing_ok=True)
                offset, h = 0, hashlib.sha256()
                failures += 1
                if failures > transport.retries.total:
                    raise
                continue
            raise
        with resp:
            if offset and resp.status_code != 206:  # the server ignored the Range: start over
                offset, h = 0, hashlib.sha256()
                part.unlink(missing_ok=True)
            announced = resp.headers.get("X-Checksum-SHA256")
            if sha256 and announced and announced.strip().lower() != sha256.lower():
                raise IntegrityError(
                    f"{dest.name}: the server announces sha256 {announced}, the release lists {sha256}",
                    path=str(dest),
                    expected=sha256,
                    actual=announced,
                )
            length = resp.headers.get("Content-Length")
            if total is None and length is not None and length.isdigit():
                total = offset + int(length)
            broken = False
            with part.open("ab" if offset else "wb") as fh:
                try:
                    for chunk in resp.iter_content(CHUNK):
                        fh.write(chunk)
                        h.update(chunk)
                        offset += len(chunk)
                        if progress is not None:
                            progress(offset, total)
                except requests.RequestException:
                    broken = True
                fh.flush()
                os.fsync(fh.fileno())
        short = total is not None and offset < total
        if not (broken or short):
            break
        failures += 1
        if failures > transport.retries.total:
            raise IntegrityError(
                f"{dest.name}: download truncated at {offset} of {total if total is not None else '?'} bytes "
                f"after {failures} tries [{transport.url(url)}]",
                path=str(dest),
            )
        transport.sleep(transport.retries.wait(failures - 1, None))
    actual = h.hexdigest()
    if size is not None and offset != size:
        part.unlink(missing_ok=True)
        raise IntegrityError(
            f"{dest.name}: got {offset} bytes, the release lists {size}", path=str(dest), expected=str(size)
        )
    if sha256 and actual != sha256.lower():
        part.unlink(missing_ok=True)
        raise IntegrityError(
            f"{dest.name}: sha256 {actual} does not match the published {sha256}; nothing was written",
            path=str(dest),
            expected=sha256,
            actual=actual,
        )
    os.replace(part, dest)
    return dest
