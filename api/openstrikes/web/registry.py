"""The releases an API process serves: each built package under the releases directory, verified
and indexed (see index/store.py), with its downloadable files and their sha256, and the query
parameters of the event schema bundled in it."""

from __future__ import annotations

import hashlib
import logging
import zipfile
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from openstrikes.hashing import file_sha256
from openstrikes.index.errors import StoreError
from openstrikes.index.params import ParamSet, params_for
from openstrikes.index.store import Store
from openstrikes.package.metadata import PackageError
from openstrikes.package.reader import package_place_schema, package_schema, read_package
from openstrikes.package.table_schema import Tables, tables_for
from openstrikes.schema_files import ACTOR_SCHEMA_FILE
from openstrikes.semver import version_key

log = logging.getLogger("openstrikes.web")
SUMS_FILE = "SHA256SUMS"


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    path: Path
    bytes: int
    sha256: str


@dataclass
class Release:
    """One served release: its store, its files (package files, SHA256SUMS, the zip if any) and
    the schemas bundled in it, which its queries are read and documented with."""

    store: Store
    files: dict[str, ReleaseFile]
    event_schema: dict[str, Any]
    actor_schema: dict[str, Any]
    place_schema: dict[str, Any] | None = None  # releases before schema 1.1 have none

    @cached_property
    def params(self) -> ParamSet:
        """The query parameters of its event schema (computed once: every request reads them)."""
        return params_for(self.event_schema)

    @cached_property
    def tables(self) -> Tables:
        """The flat (CSV) layouts of its schemas."""
        return tables_for(self.event_schema, self.actor_schema, self.place_schema)

    @property
    def version(self) -> str:
        return self.store.version


def _verify_zip(zipped: Path, store: Store, files: dict[str, ReleaseFile]) -> None:
    """The zip of a package must hold exactly the package's files, byte for byte (by sha256)."""
    prefix = f"{store.package.name}/"
    try:
        inside = read_package(zipped, verify=True)
        with zipfile.ZipFile(zipped) as zf:
            members = set(zf.namelist())
            sums = hashlib.sha256(zf.read(prefix + SUMS_FILE)).hexdigest() if SUMS_FILE in files else None
    except PackageError as exc:
        raise StoreError(f"refusing to serve {zipped}: {exc}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise StoreError(f"refusing to serve {zipped}: unreadable zip ({exc})") from None
    got = {f.name: f.sha256 for f in inside.files}
    want = {name: f.sha256 for name, f in files.items() if name != SUMS_FILE}
    if got != want or (sums is not None and sums != files[SUMS_FILE].sha256):
        raise StoreError(f"refusing to serve {zipped}: it does not hold the files of {store.package}")
    if members != {prefix + name for name in files}:
        odd = sorted(members ^ {prefix + name for name in files})
        raise StoreError(
            f"refusing to serve {zipped}: its members differ from the package ({', '.join(odd[:5])})"
        )


class Registry:
    """Every release found under a directory; `get(None)` is the latest."""

    def __init__(self, releases_dir: Path, cache_dir: Path, *, timeout: float) -> None:
        self.dir = releases_dir
        self.releases: dict[str, Release] = {}
        if not releases_dir.is_dir():
            raise StoreError(f"releases directory {releases_dir} does not exist")
        folders = sorted(p for p in releases_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        packages = [p for p in folders if (p / "datapackage.json").is_file()]
        for skipped in sorted(set(folders) - set(packages)):
            log.warning("skipping %s: not a built package (no datapackage.json)", skipped)
        if not packages:
            raise StoreError(f"no built package (a directory with datapackage.json) in {releases_dir}")
        for package in packages:
            store = Store.open(package, cache_dir, timeout=timeout)
            if store.version in self.releases:
                raise StoreError(f"two packages in {releases_dir} claim version {store.version}")
            files = {
                f.name: ReleaseFile(f.name, package / f.name, f.bytes, f.sha256) for f in store.info.files
            }
            sums = package / SUMS_FILE
            if sums.is_file():
                files[SUMS_FILE] = ReleaseFile(SUMS_FILE, sums, sums.stat().st_size, file_sha256(sums))
            zipped = releases_dir / f"{package.name}.zip"
            if zipped.is_file():
                _verify_zip(zipped, store, files)
                files[zipped.name] = ReleaseFile(
                    zipped.name, zipped, zipped.stat().st_size, file_sha256(zipped)
                )
            try:
                schemas = (
                    package_schema(package),
                    package_schema(package, ACTOR_SCHEMA_FILE),
                    package_place_schema(package),
                )
            except (PackageError, ValueError) as exc:
                raise StoreError(f"{package}: cannot read its bundled schema: {exc}") from None
            release = Release(store, dict(sorted(files.items())), *schemas)
            release.params, release.tables  # noqa: B018  (derived once, before workers fork)
            self.releases[store.version] = release
        self.latest = max(self.releases, key=version_key)

    def get(self, version: str | None) -> Release | None:
        """The release `version` (None: the latest), or None if it is not served."""
        return self.releases.get(self.latest if version is None else version)

    def ordered(self) -> list[Release]:
        """Releases, newest first."""
        return sorted(self.releases.values(), key=lambda r: version_key(r.version), reverse=True)
