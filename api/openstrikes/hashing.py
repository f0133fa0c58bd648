"""SHA-256 of files and streams: the one hashing helper of the server side."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

# Mirror: openstrikes_client._download.sha256_file (the client imports nothing of the server).
BLOCK = 1 << 20


def sha256_stream(stream: BinaryIO) -> tuple[int, str]:
    """(bytes read, hex sha256) of a binary stream, read to its end in blocks."""
    sha = hashlib.sha256()
    size = 0
    for block in iter(lambda: stream.read(BLOCK), b""):
        sha.update(block)
        size += len(block)
    return size, sha.hexdigest()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    with path.open("rb") as fh:
        return sha256_stream(fh)[1]
