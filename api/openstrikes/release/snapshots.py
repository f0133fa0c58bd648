"""The sides a diff compares: a built package or its zip, the work tree, a git ref, nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from openstrikes.package.metadata import PackageError
from openstrikes.package.reader import (
    iter_package_events,
    package_actors,
    package_places,
    package_schema,
    read_package,
)
from openstrikes.release.diff import DiffError, Snapshot


def package_snapshot(path: Path) -> Snapshot:
    """A built package directory or zip, verified against its hashes first."""

    try:
        info = read_package(path)
    except PackageError as exc:
        raise DiffError(str(exc)) from None
    return Snapshot(
        f"{path} ({info.version})",
        lambda: iter_package_events(path),
        lambda: package_actors(path),
        lambda: package_schema(path),
        info.version,
        lambda: package_places(path),
    )


def _load_json(data: bytes, where: str) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DiffError(f"{where} is not valid JSON ({exc}): run `openstrikes validate`") from None
    if not isinstance(value, dict):
        raise DiffError(f"{where} does not hold a JSON object: run `openstrikes validate`")
    return value


def worktree_snapshot(root: Path, label: str = "work tree") -> Snapshot:
    """The dataset files as they are on disk under a repository root."""
    dataset = root / "dataset"

    def event_paths() -> list[Path]:
        return [p for _s, p in sorted((p.stem, p) for p in (dataset / "events").rglob("*.json"))]

    def events() -> Iterator[dict[str, Any]]:
        for path in event_paths():
            yield _load_json(path.read_bytes(), str(path))

    def actors() -> list[dict[str, Any]]:
        return [_load_json(p.read_bytes(), str(p)) for p in sorted((dataset / "actors").glob("*.json"))]

    def schema() -> dict[str, Any]:
        return _load_json((root / "schema" / "event.schema.json").read_bytes(), "schema/event.schema.json")

    version = None
    meta = dataset / "datapackage.json"
    if meta.is_file():
        version = str(_load_json(meta.read_bytes(), str(meta)).get("version"))

    def places() -> list[dict[str, Any]]:
        return [_load_json(p.read_bytes(), str(p)) for p in sorted((dataset / "places").glob("*.json"))]

    return Snapshot(label, events, actors, schema, version, places)


def _git(root: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    if proc.returncode != 0:
        raise DiffError(proc.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return proc.stdout


def is_git_ref(root: Path, ref: str) -> bool:
    if ref.startswith("-"):
        return False
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return False
    return proc.returncode == 0


class _CatFile:
    """`git cat-file --batch`: blobs by name, one at a time."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            ["git", "-C", str(root), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def read(self, spec: str) -> bytes:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(spec.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            raise DiffError(f"git: cannot read {spec}")
        data = self.proc.stdout.read(int(header[2]))
        self.proc.stdout.read(1)
        return data

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def git_snapshot(root: Path, ref: str) -> Snapshot:
    """The dataset as committed at a git ref."""
    commit = _git(root, "rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()
    names = [
        n
        for n in _git(root, "ls-tree", "-r", "-z", "--name-only", commit, "--", "dataset", "schema")
        .decode()
        .split("\0")
        if n
    ]
    event_names = sorted(
        (n for n in names if n.startswith("dataset/events/") and n.endswith(".json")),
        key=lambda n: (Path(n).stem, n),
    )
    actor_names = sorted(n for n in names if n.startswith("dataset/actors/") and n.endswith(".json"))
    place_names = sorted(n for n in names if n.startswith("dataset/places/") and n.endswith(".json"))

    def blobs(selected: list[str]) -> Iterator[tuple[str, bytes]]:
        cat = _CatFile(root)
        try:
            for name in selected:
                yield name, cat.read(f"{commit}:{name}")
        finally:
            cat.close()

    def events() -> Iterator[dict[str, Any]]:
        for name, data in blobs(event_names):
            yield _load_json(data, f"{ref}:{name}")

    def actors() -> list[dict[str, Any]]:
        return [_load_json(data, f"{ref}:{name}") for name, data in blobs(actor_names)]

    def places() -> list[dict[str, Any]]:
        return [_load_json(data, f"{ref}:{name}") for name, data in blobs(place_names)]

    def schema() -> dict[str, Any]:
        if "schema/event.schema.json" not in names:
            return {}
        return _load_json(
            _git(root, "show", f"{commit}:schema/event.schema.json"), f"{ref}:schema/event.schema.json"
        )

    version = None
    if "dataset/datapackage.json" in names:
        version = str(
            _load_json(_git(root, "show", f"{commit}:dataset/datapackage.json"), "datapackage.json").get(
                "version"
            )
        )
    return Snapshot(f"{ref} ({commit[:12]})", events, actors, schema, version, places)


def empty_snapshot(label: str = "(nothing)") -> Snapshot:
    return Snapshot(label, lambda: iter(()), list, dict, None)


def open_snapshot(spec: str | None, root: Path) -> Snapshot:
    """A build directory, a zip, a git ref, or (None) the work tree."""
    if spec is None:
        return worktree_snapshot(root)
    path = Path(spec)
    if path.is_file() or (
        path.is_dir() and (path / "datapackage.json").is_file() and (path / "SHA256SUMS").is_file()
    ):
        return package_snapshot(path)
    if path.is_dir() and (path / "dataset").is_dir():
        return worktree_snapshot(path, str(path))
    if is_git_ref(root, spec):
        return git_snapshot(root, spec)
    raise DiffError(f"{spec!r} is not a package directory, a zip or a git ref")
