"""Find, read, write canonically and scaffold event and actor records."""

from __future__ import annotations

import os
import secrets
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

from openstrikes.schema_files import (
    SCHEMA_FILES,
    key_order,
    schema_version,
)
from openstrikes.toolchain.canonical import KeyShape, canonical_bytes, compile_shape
from openstrikes.toolchain.files import read_json_file
from openstrikes.toolchain.jsontext import Parsed
from openstrikes.toolchain.places import apply_place

Kind = Literal["event", "actor", "place"]

ID_ALPHABET = "23456789cfghjmpqrvwx"  # no vowels or look-alikes, as GHSA ids


class RecordFile(NamedTuple):
    """A record file on disk and the kind of record it should hold.

    Kept small (a million of them are held during validation): the display name, relative to
    `base`, is stored once and the file's path is derived from the two."""

    display: str
    kind: Kind
    base: str  # the directory `display` is relative to (one shared string)

    @property
    def location(self) -> str:
        """The file's path as a string."""
        return os.path.normpath(os.path.join(self.base, self.display))

    @property
    def path(self) -> Path:
        return Path(self.location)


def utc_now() -> str:
    """The current UTC time as the schema's date-time text (seconds precision, Z suffix)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_event_id(year: int, taken: Iterable[str] = ()) -> str:
    """A fresh event id `OS-<year>-xxxx-xxxx`: random, so concurrent pull requests never collide."""
    taken_set = set(taken)
    while True:
        part = "".join(secrets.choice(ID_ALPHABET) for _ in range(8))
        candidate = f"OS-{year:04d}-{part[:4]}-{part[4:]}"
        if candidate not in taken_set:
            return candidate


def event_path(dataset: Path, event_id: str, date_start: str) -> Path:
    return dataset / "events" / date_start[:4] / f"{event_id}.json"


def kind_of(path: Path) -> Kind:
    """Actors live under an `actors/` directory, places under `places/`; everything else is an event."""
    folders = path.parts[:-1]
    if "actors" in folders:
        return "actor"
    return "place" if "places" in folders else "event"


class FileTable:
    """Record files grouped by directory. The names of a directory are kept as one string (NUL
    separated, NUL cannot be in a file name) with an array of offsets, so a million files cost
    a few dozen bytes each, and worker processes that read them share the pages instead of
    copying them (touching a million small strings would write to every page holding them).
    Iterating gives RecordFiles, in directory then name order."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.dirs: list[str] = []  # display of each directory
        self.kinds: list[Kind] = []
        self._blobs: list[str] = []  # names of each directory, sorted, joined by NUL
        self._offsets: list[array[int]] = []  # where each name starts in its blob, then the end
        self._count = 0

    def add(self, directory: str, kind: Kind, names: list[str]) -> None:
        """Add one directory's file names (in the order they should be checked)."""
        if not names:
            return
        offsets = array("Q", [0])
        end = 0
        for name in names:
            end += len(name) + 1
            offsets.append(end)
        self.dirs.append(directory)
        self.kinds.append(kind)
        self._blobs.append("\0".join(names) + "\0")
        self._offsets.append(offsets)
        self._count += len(names)

    @classmethod
    def of(cls, files: Iterable[RecordFile], base: str) -> FileTable:
        """The table of a list of record files (grouped by their directory)."""
        groups: dict[tuple[str, Kind], list[str]] = {}
        for rf in files:
            directory, name = os.path.split(rf.display)
            groups.setdefault((directory, rf.kind), []).append(name)
        table = cls(base)
        for (directory, kind), names in sorted(groups.items()):
            table.add(directory, kind, sorted(names))
        return table

    def only(self, kind: Kind) -> FileTable:
        """The files of one kind (sharing this table's name storage)."""
        table = FileTable(self.base)
        for group, k in enumerate(self.kinds):
            if k == kind:
                table.dirs.append(self.dirs[group])
                table.kinds.append(k)
                table._blobs.append(self._blobs[group])
                table._offsets.append(self._offsets[group])
                table._count += self.count(group)
        return table

    @property
    def groups(self) -> int:
        return len(self.dirs)

    def count(self, group: int) -> int:
        """How many files the group holds."""
        return len(self._offsets[group]) - 1

    def names(self, group: int, start: int = 0, end: int | None = None) -> list[str]:
        """File names of one group, from `start` to `end` (default: all)."""
        offsets = self._offsets[group]
        end = len(offsets) - 1 if end is None else end
        if end <= start:
            return []
        return self._blobs[group][offsets[start] : offsets[end] - 1].split("\0")

    def display(self, group: int, name: str) -> str:
        return os.path.join(self.dirs[group], name)

    def record_file(self, group: int, name: str) -> RecordFile:
        return RecordFile(os.path.join(self.dirs[group], name), self.kinds[group], self.base)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[RecordFile]:
        for group in range(self.groups):
            for name in self.names(group):
                yield self.record_file(group, name)


def discover_table(dataset: Path, paths: Iterable[Path] | None = None, base: Path | None = None) -> FileTable:
    """Record files under the given paths (files or directories), or the whole dataset.

    Symlinks and non-regular entries are listed too, so that validation can report them.
    Each file's display name is its path relative to `base` (default: the working directory).
    """
    base_text = os.path.abspath(base or Path.cwd())
    if paths:  # paths may overlap or name single files: list them, keep each once, then group
        found = {
            display: RecordFile(display, kind, base_text)
            for root in paths
            for display, kind in _walk(root, _relative(root, base_text))
        }
        return FileTable.of(found.values(), base_text)
    table = FileTable(base_text)
    for root in (dataset / "actors", dataset / "places", dataset / "events"):
        if root.name == "places" and not root.exists():
            continue  # the registry is optional (datasets before schema 1.1 have none)
        _walk_into(table, root, _relative(root, base_text))
    return table


def discover(
    dataset: Path, paths: Iterable[Path] | None = None, base: Path | None = None
) -> list[RecordFile]:
    """`discover_table` as a list of RecordFiles, sorted by display name."""
    return sorted(discover_table(dataset, paths, base))


def _relative(path: Path, base: str) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return os.path.abspath(path)


def _walk(root: Path, shown: str) -> Iterator[tuple[str, Kind]]:
    """(display, kind) of every candidate file under root."""
    table = FileTable("")
    _walk_into(table, root, shown)
    for rf in table:
        yield rf.display, rf.kind


def _walk_into(table: FileTable, root: Path, shown: str) -> None:
    """Add every candidate file under root to the table, one group per directory; displays are
    built by joining names onto the root's display, not recomputed per file."""
    if root.is_symlink() or not root.is_dir():
        directory, name = os.path.split(shown)
        table.add(directory, kind_of(root), [name])
        return
    root_text = str(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = dirpath[len(root_text) :].lstrip(os.sep)
        here_shown = os.path.join(shown, rel) if rel else shown
        names = [name for name in filenames if name.endswith(".json")]
        keep = []
        for name in dirnames:
            if name.endswith(".json") or os.path.islink(os.path.join(dirpath, name)):
                names.append(name)  # reported as not a regular file
            else:
                keep.append(name)
        dirnames[:] = keep
        names.sort()
        table.add(here_shown, kind_of(Path(dirpath, "_")), names)


def read_record(rf: RecordFile) -> Parsed:
    """Read a record file; canonical files take the fast path."""
    return read_json_file(rf.location, rf.display, shape=key_shape(rf.kind))


def schema_name(kind: Kind) -> str:
    return SCHEMA_FILES[kind]


@cache
def key_shape(kind: Kind) -> KeyShape:
    """The compiled canonical key order of one kind of record."""
    return compile_shape(key_order(schema_name(kind)))


def canonical(data: Any, kind: Kind) -> str:
    """The canonical text of a record of this kind."""
    return canonical_bytes(data, key_shape(kind)).decode("utf-8")


def write_atomic(path: Path, text: str) -> None:
    """Write text to path via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def scaffold_event(
    event_id: str,
    *,
    date_start: date,
    country: str | None,
    strike_type: str = "unknown",
    attacker: str | None = None,
    location: str | None = None,
    summary: str | None = None,
    source_url: str | None = None,
    now: str | None = None,
    place: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new event with every required field present; placeholders are left for the contributor.
    With a `place` of the registry, the event names it and takes its place-fixed fields."""
    stamp = now or utc_now()
    record = {
        "id": event_id,
        "schema_version": schema_version(),
        "published": stamp,
        "modified": stamp,
        "withdrawn": None,
        "date_start": date_start.isoformat(),
        "date_end": date_start.isoformat(),
        "date_precision": "day",
        "datetime_utc": None,
        "timezone": None,
        "country": country,
        "water_body": None,
        "admin1": None,
        "admin2": None,
        "location": location,
        "latitude": None,
        "longitude": None,
        "geo_precision": "country",
        "place": None,
        "strike_type": strike_type,
        "platforms": [],
        "munitions": [],
        "outcome": "unknown",
        "status": "alleged",
        "attackers": [{"actor": attacker or "unidentified-attackers", "attribution": "suspected"}],
        "targets": [],
        "casualties": {"killed": None, "injured": None, "civilians_killed": None, "civilians_injured": None},
        "casualty_claims": [],
        "operation": None,
        "related": [],
        "distinct_from": [],
        "aliases": [],
        "summary": summary or "",
        "sources": [
            {
                "url": source_url or "",
                "archive_url": None,
                "title": "",
                "publisher": "",
                "published": None,
                "type": "news",
            }
        ],
        "tags": [],
        "contributors": [],
    }
    if place is not None:
        record = apply_place(record, place)
        record["place"] = place["slug"]
        if location is None:
            record["location"] = place.get("name")
    return record
