"""What a package is: its file names, errors, the infos of a package read back, the
dataset's metadata (dataset/datapackage.json) and the citation file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openstrikes.problems import Problem
from openstrikes.semver import parse_version

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
METADATA_FILE = "datapackage.json"
SUMS_FILE = "SHA256SUMS"
CITATION_FILE = "CITATION.cff"
CC_BY = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}


class PackageError(Exception):
    """A package cannot be built or read (bad metadata, a tampered or missing file)."""


class InvalidDataset(PackageError):
    """The dataset has validation problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"the dataset has {len(problems)} validation problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class FileInfo:
    name: str
    bytes: int
    sha256: str


@dataclass
class PackageInfo:
    """A package read back with every file verified against its recorded hash."""

    path: Path
    descriptor: dict[str, Any]
    sha256: str  # of datapackage.json
    files: list[FileInfo] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.descriptor["name"])

    @property
    def version(self) -> str:
        return str(self.descriptor["version"])

    @property
    def created(self) -> str | None:
        value = self.descriptor.get("created")
        return str(value) if value is not None else None


# --- metadata ---------------------------------------------------------------------------------


def load_metadata(dataset: Path) -> dict[str, Any]:
    """dataset/datapackage.json: name, title, version, licences, contributors, sources."""
    path = dataset / METADATA_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(f"{path} is missing: it holds the package name and version") from None
    except (OSError, ValueError) as exc:
        raise PackageError(f"cannot read {path}: {exc}") from None
    if not isinstance(meta, dict):
        raise PackageError(f"{path} must hold a JSON object")
    for key in ("name", "version"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise PackageError(f"{path} needs a non-empty string {key!r}")
    try:
        parse_version(meta["version"])
    except ValueError as exc:
        raise PackageError(f"{path}: {exc}") from None
    if "resources" in meta:
        raise PackageError(f"{path} must not list resources: the build writes them")
    return meta


def package_dirname(meta: dict[str, Any]) -> str:
    return f"{meta['name']}-{meta['version']}"


def citation_cff(meta: dict[str, Any], version: str, date_released: str | None) -> str:
    """CITATION.cff (Citation File Format 1.2.0) for the dataset release."""

    def q(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [
        "cff-version: 1.2.0",
        'message: "If you use this dataset, please cite it as below."',
        "type: dataset",
        f"title: {q(str(meta.get('title') or meta['name']))}",
        f"version: {q(version)}",
    ]
    if date_released:
        lines.append(f"date-released: {q(date_released[:10])}")
    licences = [
        lic.get("name") for lic in meta.get("licenses", []) if isinstance(lic, dict) and lic.get("name")
    ]
    if licences:
        lines.append(f"license: {q(str(licences[0]))}")
    if meta.get("homepage"):
        lines.append(f"url: {q(str(meta['homepage']))}")
    if meta.get("repository"):
        lines.append(f"repository: {q(str(meta['repository']))}")
    if meta.get("description"):
        lines.append(f"abstract: {q(str(meta['description']))}")
    lines.append("authors:")
    contributors = [c for c in meta.get("contributors", []) if isinstance(c, dict) and c.get("title")]
    for c in contributors or [{"title": f"{meta['name']} contributors"}]:
        lines.append(f"  - name: {q(str(c['title']))}")
    keywords = [str(k) for k in meta.get("keywords", [])]
    if keywords:
        lines.append("keywords:")
        lines.extend(f"  - {q(k)}" for k in keywords)
    return "\n".join(lines) + "\n"


# --- writing --------------------------------------------------------------------------------
