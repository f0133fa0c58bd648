"""Reading a built package back (a directory or a zip of one), every file verified against its
recorded sha256; its events, actors and the schemas bundled in it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from openstrikes.hashing import sha256_stream
from openstrikes.package.flatten import table_rows, unflatten_actor, unflatten_place, with_meta
from openstrikes.package.metadata import METADATA_FILE, SUMS_FILE, FileInfo, PackageError, PackageInfo
from openstrikes.package.table_schema import ROUNDTRIP_FILE, Tables, tables_for
from openstrikes.schema_files import ACTOR_SCHEMA_FILE, EVENT_SCHEMA_FILE, PLACE_SCHEMA_FILE


class Source:
    """A package directory or a zip of one, read member by member."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile:
                raise PackageError(f"{path} is not a zip file") from None
            names = [n for n in self.zip.namelist() if n.endswith("/" + METADATA_FILE) or n == METADATA_FILE]
            if not names:
                raise PackageError(f"{path}: no {METADATA_FILE} inside")
            self.prefix = min(names, key=len)[: -len(METADATA_FILE)]
        elif not (path / METADATA_FILE).is_file():
            raise PackageError(f"{path} is not a built package (no {METADATA_FILE})")

    def open(self, name: str) -> BinaryIO:
        if self.zip is not None:
            try:
                return self.zip.open(self.prefix + name)  # type: ignore[return-value]
            except KeyError:
                raise PackageError(f"{self.path}: {name} is missing") from None
        try:
            return (self.path / name).open("rb")
        except FileNotFoundError:
            raise PackageError(f"{self.path}: {name} is missing") from None

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


# Mirror: openstrikes_client._local verifies a downloaded release the same way (SHA256SUMS and the
# descriptor's hashes), standard library only.
def read_package(path: Path, *, verify: bool = True) -> PackageInfo:
    """Read a built package (directory or zip), verifying every file against SHA256SUMS and the
    descriptor's hashes and sizes. Raises PackageError on a missing or tampered file."""
    src = Source(path)
    try:
        raw = src.read(METADATA_FILE)
        try:
            descriptor = json.loads(raw)
        except ValueError as exc:
            raise PackageError(f"{path}: {METADATA_FILE} is not valid JSON: {exc}") from None
        sums_text = src.read(SUMS_FILE).decode("utf-8", "replace")
        sums: dict[str, str] = {}
        for line in sums_text.splitlines():
            digest, _, name = line.partition("  ")
            if len(digest) != 64 or not name:
                raise PackageError(f"{path}: malformed {SUMS_FILE} line {line!r}")
            sums[name] = digest
        expected: dict[str, tuple[int | None, str]] = {name: (None, digest) for name, digest in sums.items()}
        for res in [*descriptor.get("resources", []), *descriptor.get("files", [])]:
            digest = str(res.get("hash", "")).removeprefix("sha256:")
            name = str(res.get("path"))
            if sums.get(name) not in (None, digest):
                raise PackageError(f"{path}: {name} has different hashes in {METADATA_FILE} and {SUMS_FILE}")
            expected[name] = (res.get("bytes"), digest)
        unlisted = sorted(set(expected) - set(sums) | ({METADATA_FILE} - set(sums)))
        if unlisted:
            raise PackageError(
                f"{path}: {SUMS_FILE} does not list {', '.join(unlisted)}: the file was altered"
            )
        files: list[FileInfo] = []
        for name in sorted(expected):
            size_expected, digest = expected[name]
            if verify:
                with src.open(name) as fh:
                    size, actual = sha256_stream(fh)
                if actual != digest or (size_expected is not None and size != size_expected):
                    raise PackageError(
                        f"{path}: {name} does not match its recorded sha256: the file was altered"
                    )
            else:
                size = size_expected if size_expected is not None else -1
            files.append(FileInfo(name, size, digest))
        return PackageInfo(path, descriptor, hashlib.sha256(raw).hexdigest(), files)
    finally:
        src.close()


def iter_package_events(path: Path) -> Iterator[dict[str, Any]]:
    """The event records of a package (directory or zip), in id order, from events.ndjson."""
    src = Source(path)
    try:
        with src.open("events.ndjson") as fh:
            for line in fh:
                if line.strip():
                    yield orjson.loads(line)
    finally:
        src.close()


def _registry_rows(path: Path, name: str, table: str, key: str) -> list[dict[str, str]]:
    """The rows of a registry's CSV, each with its roundtrip.csv cells (packages built before
    roundtrip.csv carry them as columns of the table itself)."""
    src = Source(path)
    try:
        text = src.read(name).decode("utf-8")
        try:
            fh = src.open(ROUNDTRIP_FILE)
        except PackageError:
            extra = []
        else:
            with fh:
                extra = list(
                    table_rows(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8", newline="")), table)
                )
    finally:
        src.close()
    return list(with_meta(csv.DictReader(io.StringIO(text, newline="")), extra, key))


def package_actors(path: Path) -> list[dict[str, Any]]:
    """The actor records of a package, read back from actors.csv by the layout of the schemas
    bundled in the package."""
    layout = package_tables(path)
    return [unflatten_actor(row, layout) for row in _registry_rows(path, "actors.csv", "actors", "id")]


def package_places(path: Path) -> list[dict[str, Any]]:
    """The place records of a package, read back from places.csv by the layout of the schemas
    bundled in the package (none in packages built before schema 1.1, which have no places.csv)."""
    layout = package_tables(path)
    if layout.places is None:
        return []
    return [unflatten_place(row, layout) for row in _registry_rows(path, "places.csv", "places", "slug")]


def package_tables(path: Path) -> Tables:
    """The flat table layouts of the schemas bundled in the package (the place schema from 1.1)."""
    return tables_for(
        package_schema(path), package_schema(path, ACTOR_SCHEMA_FILE), package_place_schema(path)
    )


def package_place_schema(path: Path) -> dict[str, Any] | None:
    """The place schema bundled in the package; None for packages built before schema 1.1."""
    src = Source(path)
    try:
        try:
            schema: dict[str, Any] = json.loads(src.read(PLACE_SCHEMA_FILE))
        except PackageError:
            return None
        return schema
    finally:
        src.close()


def package_schema(path: Path, name: str = EVENT_SCHEMA_FILE) -> dict[str, Any]:
    """A JSON schema bundled in the package (the event schema by default)."""
    src = Source(path)
    try:
        schema: dict[str, Any] = json.loads(src.read(name))
        return schema
    finally:
        src.close()
