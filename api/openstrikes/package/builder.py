"""Build the versioned Frictionless data package from the event files, and read one back.

`build_package(dataset, out)` validates the dataset (an invalid one is refused) and streams
every event, in id order, into all the package files at the same time, hashing them as they are
written. Each file is read once: the validator's workers render the runs of events they have
just checked. Memory holds a few runs of events at a time plus the actor registry. The package goes to
a hidden temporary directory beside the target, is fsynced and then swapped into place, so a
build killed at any moment leaves the previous build intact and no partial directory visible.
Nothing in it depends on the clock: `created` is the latest `modified` of the events (or the
release date in dataset/datapackage.json, when later), rows are sorted, JSON keys are ordered.
"""

from __future__ import annotations

import csv
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from openstrikes.package.flatten import actor_header, child_header, event_header, flatten_actor, flatten_event
from openstrikes.package.table_schema import (
    CHANGES_COLUMNS,
    actors_schema,
    changes_schema,
    child_schema,
    events_schema,
    tables,
)
from openstrikes.paths import schema_dir
from openstrikes.problems import Problem
from openstrikes.schema_files import ACTOR_SCHEMA_FILE, EVENT_SCHEMA_FILE, schema_version
from openstrikes.toolchain.progress import Progress, ProgressBar
from openstrikes.toolchain.records import RecordFile

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
METADATA_FILE = "datapackage.json"
SUMS_FILE = "SHA256SUMS"
CITATION_FILE = "CITATION.cff"
LOCK_FILE = ".openstrikes-build.lock"
CHUNK_EVENTS = 1000  # events rendered and written together
PARALLEL_THRESHOLD = 5000  # fewer events than this are rendered in-process
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
    from openstrikes.release.plan import parse_version  # local import: release imports this module

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


class HashingFile:
    """A binary file that counts and hashes what is written to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: BinaryIO = path.open("wb")
        self.sha = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.sha.update(data)
        self.bytes += len(data)

    def close(self) -> FileInfo:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        return FileInfo(self.path.name, self.bytes, self.sha.hexdigest())


class CsvOut:
    """A CSV file written through a text buffer that is flushed in blocks."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.file = HashingFile(path)
        self.buf = io.StringIO()
        self.writer = csv.writer(self.buf, lineterminator="\r\n")
        self.writer.writerow(header)

    def rows(self, rows: list[list[str]]) -> None:
        self.writer.writerows(rows)

    def flush(self) -> None:
        data = self.buf.getvalue()
        if data:
            self.file.write(data.encode("utf-8"))
            self.buf.seek(0)
            self.buf.truncate()

    def close(self) -> FileInfo:
        self.flush()
        return self.file.close()


def _sorted_event_files(files: Iterable[RecordFile], base: Path) -> list[str]:
    """Event file paths relative to `base` (short strings: a million of them stay small), in id
    order: a valid event's id is its file name."""
    prefix = os.path.abspath(base) + os.sep
    paths = []
    for rf in files:
        full = os.path.abspath(rf.location)
        paths.append(full.removeprefix(prefix) if full.startswith(prefix) else full)
    paths.sort(key=os.path.basename)
    return paths


def _geojson_feature(event: dict[str, Any]) -> bytes:
    lat, lon = event.get("latitude"), event.get("longitude")
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    return orjson.dumps({"type": "Feature", "id": event["id"], "geometry": geometry, "properties": event})


@dataclass
class Chunk:
    """The rendered bytes of consecutive events, for every per-event file."""

    parts: dict[str, bytes]
    json_items: bytes  # compact records joined by ",\n" (events.json)
    geo_items: bytes  # features joined by ",\n" (events.geojson)
    count: int
    withdrawn: int
    max_modified: tuple[str, str] | None  # (sortable UTC form, as written)


def _csv_text(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def render_chunk(base: str, paths: list[str]) -> Chunk:
    """Read, flatten and serialise a run of event files (runs in a worker process)."""
    events = []
    for path in paths:
        with open(os.path.join(base, path), "rb") as fh:
            events.append(orjson.loads(fh.read()))
    return render_events(events)


def render_events(events: list[dict[str, Any]]) -> Chunk:
    """Flatten and serialise a run of valid event records, in the order given."""
    events_rows: list[list[str]] = []
    child_rows: dict[str, list[list[str]]] = {t: [] for t in tables().children}
    changes_rows: list[list[str]] = []
    compact: list[bytes] = []
    features: list[bytes] = []
    best: tuple[str, str] | None = None
    for event in events:
        line = orjson.dumps(event)
        compact.append(line)
        features.append(_geojson_feature(event))
        flat = flatten_event(event)
        events_rows.append(flat.row)
        for table, rows in flat.children.items():
            child_rows[table].extend(rows)
        withdrawn = event.get("withdrawn")
        changes_rows.append(
            [
                event["id"],
                event["modified"],
                "true" if withdrawn else "false",
                withdrawn["at"] if withdrawn else "",
            ]
        )
        key = _instant(event["modified"])
        if best is None or key > best[0]:
            best = (key, event["modified"])
    parts = {"events": _csv_text(events_rows), "changes": _csv_text(changes_rows)}
    for table, rows in child_rows.items():
        parts[table] = _csv_text(rows)
    parts["events-ndjson"] = b"".join(c + b"\n" for c in compact)
    withdrawn_count = sum(1 for row in changes_rows if row[2] == "true")
    return Chunk(parts, b",\n".join(compact), b",\n".join(features), len(events), withdrawn_count, best)


def _chunks(base: str, event_paths: list[str], workers: int) -> Iterator[Chunk]:
    """Rendered chunks in order; with workers > 1, a bounded number run ahead in a process pool."""
    batches = (event_paths[i : i + CHUNK_EVENTS] for i in range(0, len(event_paths), CHUNK_EVENTS))
    if workers <= 1 or len(event_paths) < PARALLEL_THRESHOLD:
        for batch in batches:
            yield render_chunk(base, batch)
        return
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing import get_context

    ctx = get_context("fork" if hasattr(os, "fork") else "spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        pending: deque[Future[Chunk]] = deque()
        for batch in batches:
            pending.append(pool.submit(render_chunk, base, batch))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class EventWriter:
    """The per-event files of a package, written chunk after chunk and hashed as they grow."""

    def __init__(self, tmp: Path) -> None:
        self.outs: dict[str, HashingFile] = {"events": HashingFile(tmp / "events.csv")}
        headers: dict[str, list[str]] = {"events": event_header()}
        for table in tables().children:
            self.outs[table] = HashingFile(tmp / f"{table}.csv")
            headers[table] = child_header(table)
        self.outs["changes"] = HashingFile(tmp / "changes.csv")
        headers["changes"] = list(CHANGES_COLUMNS)
        for key, header in headers.items():
            self.outs[key].write(_csv_text([header]))
        self.outs["events-ndjson"] = HashingFile(tmp / "events.ndjson")
        self.as_json = HashingFile(tmp / "events.json")
        self.as_geojson = HashingFile(tmp / "events.geojson")
        self.as_json.write(b"[")
        self.as_geojson.write(b'{"type":"FeatureCollection","features":[')
        self.best: tuple[str, str] | None = None
        self.count = self.withdrawn = 0

    def add(self, chunk: Chunk) -> None:
        """Append the next chunk of events (chunks come in id order)."""
        lead = b"\n" if self.count == 0 else b",\n"
        self.as_json.write(lead + chunk.json_items)
        self.as_geojson.write(lead + chunk.geo_items)
        for key, data in chunk.parts.items():
            self.outs[key].write(data)
        if chunk.max_modified is not None and (self.best is None or chunk.max_modified[0] > self.best[0]):
            self.best = chunk.max_modified
        self.count += chunk.count
        self.withdrawn += chunk.withdrawn

    def discard(self) -> None:
        """Close the files unfinished (they are about to be removed or rewritten)."""
        for out in (*self.outs.values(), self.as_json, self.as_geojson):
            out.fh.close()

    def close(self) -> tuple[dict[str, FileInfo], str | None, int, int]:
        """Finish the files; their infos, the latest `modified`, the number of events and of
        withdrawn ones."""
        self.as_json.write(b"\n]\n" if self.count else b"]\n")
        self.as_geojson.write(b"\n]}\n" if self.count else b"]}\n")
        infos = {name: out.close() for name, out in self.outs.items()}
        infos["events-json"] = self.as_json.close()
        infos["events-geojson"] = self.as_geojson.close()
        return infos, self.best[1] if self.best else None, self.count, self.withdrawn


def _instant(stamp: str) -> str:
    """A sortable UTC form of an RFC 3339 date-time (the schema allows offsets)."""
    if len(stamp) == 20 and stamp[-1] == "Z":  # the usual YYYY-MM-DDTHH:MM:SSZ
        return stamp[:19] + ".000000"
    from datetime import UTC, datetime

    try:
        dt = datetime.fromisoformat(stamp.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:  # a form Python does not read (e.g. a leap second): compare as text
        return stamp
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _write_bytes(path: Path, data: bytes) -> FileInfo:
    out = HashingFile(path)
    out.write(data)
    return out.close()


def _resource(name: str, info: FileInfo, title: str, description: str, **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"name": name, "path": info.name, "title": title, "description": description}
    res.update(extra)
    res["hash"] = f"sha256:{info.sha256}"
    res["bytes"] = info.bytes
    return res


def _table(name: str, info: FileInfo, title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return _resource(
        name,
        info,
        title,
        description,
        type="table",
        format="csv",
        mediatype="text/csv",
        encoding="utf-8",
        dialect={
            "$schema": "https://datapackage.org/profiles/2.0/tabledialect.json",
            "header": True,
            "delimiter": ",",
            "lineTerminator": "\r\n",
            "quoteChar": '"',
        },
        schema=schema,
    )


def _descriptor(
    meta: dict[str, Any], created: str | None, infos: dict[str, FileInfo], counts: dict[str, int]
) -> dict[str, Any]:
    desc: dict[str, Any] = {"$schema": DATAPACKAGE_PROFILE}
    for key, value in meta.items():
        if key not in ("$schema", "created", "resources"):
            desc[key] = value
    desc.setdefault("licenses", [CC_BY])
    if created:
        desc["created"] = created
    desc["schema_version"] = schema_version()
    desc["counts"] = counts
    desc["resources"] = [
        _table(
            "events",
            infos["events"],
            "Events (flat)",
            "One row per event: every field of the event record, nested objects flattened into "
            "`<field>_<child>` columns, lists as JSON arrays. Sources and actors are in their own tables.",
            events_schema(),
        ),
        _table(
            "event-sources",
            infos["event_sources"],
            "Event sources",
            "One row per source of an event (`sources` of the record).",
            child_schema("event_sources"),
        ),
        _table(
            "event-actors",
            infos["event_actors"],
            "Event actors",
            "One row per attacker and per target of an event (`attackers` and `targets` of the record).",
            child_schema("event_actors"),
        ),
        _table(
            "actors",
            infos["actors"],
            "Actors",
            "The actor registry: one row per actor.",
            actors_schema(),
        ),
        _table(
            "changes",
            infos["changes"],
            "Changes feed",
            "Id, last modification and withdrawal of every event (withdrawn ones included): "
            "the feed for incremental sync.",
            changes_schema(),
        ),
        _resource(
            "events-json",
            infos["events-json"],
            "Events (nested JSON)",
            "A JSON array of every event record, sorted by id, exactly as in the event files.",
            format="json",
            mediatype="application/json",
            encoding="utf-8",
        ),
        _resource(
            "events-geojson",
            infos["events-geojson"],
            "Events (GeoJSON)",
            "An RFC 7946 FeatureCollection: one Feature per event, the record as its properties, "
            "a Point geometry or null when the coordinates are unknown.",
            format="geojson",
            mediatype="application/geo+json",
            encoding="utf-8",
        ),
        _resource(
            "event-schema",
            infos["event-schema"],
            "Event JSON Schema",
            "The JSON Schema (Draft 2020-12) of one event record: the source of every table schema here.",
            format="jsonschema",
            mediatype="application/schema+json",
            encoding="utf-8",
        ),
        _resource(
            "actor-schema",
            infos["actor-schema"],
            "Actor JSON Schema",
            "The JSON Schema (Draft 2020-12) of one actor record.",
            format="jsonschema",
            mediatype="application/schema+json",
            encoding="utf-8",
        ),
        _resource(
            "citation",
            infos["citation"],
            "Citation",
            "How to cite this release (Citation File Format 1.2.0).",
            format="cff",
            mediatype="application/x-yaml",
            encoding="utf-8",
        ),
    ]
    # events.ndjson is not a resource: Frictionless reads newline-delimited JSON as a table of
    # flat rows, which nested records are not. It is listed here and in SHA256SUMS with its hash.
    info = infos["events-ndjson"]
    desc["files"] = [
        {
            "path": info.name,
            "title": "Events (newline-delimited JSON)",
            "description": "One event record per line, sorted by id, exactly as in the event files.",
            "mediatype": "application/x-ndjson",
            "hash": f"sha256:{info.sha256}",
            "bytes": info.bytes,
        }
    ]
    return desc


def _dumps(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


# --- atomic placement ---------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def place(tmp: Path, target: Path) -> None:
    """Put the finished directory `tmp` at `target`, replacing any previous one atomically."""
    if target.exists():
        if _exchange(tmp, target):
            _fsync_dir(target.parent)
            shutil.rmtree(tmp)  # now holds the previous build
            return
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
        os.rename(tmp, target)
        _fsync_dir(target.parent)
        shutil.rmtree(old)
        return
    os.rename(tmp, target)
    _fsync_dir(target.parent)


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """One build at a time per output directory; stale temporary directories are removed."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / LOCK_FILE).open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            for stale in out.glob(".*.tmp-*"):
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --- build ----------------------------------------------------------------------------------------


def validated_files(
    dataset: Path, progress: bool = False
) -> tuple[Iterable[RecordFile], Iterable[RecordFile]]:
    """Validate the dataset; its event and actor files, or InvalidDataset with every problem."""
    from openstrikes.toolchain.validate import validate_dataset

    bar = ProgressBar("validating")
    result = validate_dataset(dataset, progress=bar.update if progress else None)
    bar.close()
    if not result.ok:
        raise InvalidDataset(result.problems)
    return result.event_files, result.actor_files


def _validate_and_render(
    dataset: Path, writer: EventWriter, progress: bool, workers: int
) -> tuple[Iterable[RecordFile], Iterable[RecordFile], bool]:
    """Validate the dataset, writing its events into `writer` from the same reading of each
    file; the event and actor files and whether every event was written (else the events are
    to be written from a second reading). InvalidDataset with every problem."""
    from openstrikes.toolchain.validate import validate_dataset

    bar = ProgressBar("validating and writing")
    result = validate_dataset(
        dataset,
        workers=workers,
        progress=bar.update if progress else None,
        render=render_events,
        on_rendered=writer.add,
    )
    bar.close()
    if not result.ok:
        raise InvalidDataset(result.problems)
    return result.event_files, result.actor_files, result.rendered


def build_package(
    dataset: Path,
    out: Path,
    *,
    version: str | None = None,
    release_date: str | None = None,
    progress: bool = True,
    workers: int | None = None,
    on_stage: Callable[[str], None] | None = None,
    validated: tuple[Iterable[RecordFile], Iterable[RecordFile]] | None = None,
) -> Path:
    """Validate the dataset and build `out/<name>-<version>/`; return that directory.

    Each event file is read once: the validator's workers render the events they have just
    checked, and the package files are written as the runs come back in id order (when the
    folders do not hold the events in id order, or `validated` is given, the events are read
    again after validation instead).

    `version` and `release_date` override dataset/datapackage.json (used by `release`);
    `workers` processes check and render events in parallel (default: one per core, at most 4);
    `validated` passes the event and actor files of a validation the caller has just run.
    Raises InvalidDataset (nothing written) or PackageError.
    """
    meta = load_metadata(dataset)
    if version is not None:
        meta["version"] = version
    if release_date is not None:
        meta["created"] = release_date
    stage = on_stage or (lambda _msg: None)
    n_workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    target = out / package_dirname(meta)
    fresh_out = not out.exists()
    try:
        return _build(dataset, out, target, meta, stage, progress, n_workers, validated)
    except InvalidDataset:
        if fresh_out:  # refused: leave no trace, not even the output directory and its lock
            (out / LOCK_FILE).unlink(missing_ok=True)
            with suppress(OSError):
                out.rmdir()
        raise


def _build(
    dataset: Path,
    out: Path,
    target: Path,
    meta: dict[str, Any],
    stage: Callable[[str], None],
    progress: bool,
    n_workers: int,
    validated: tuple[Iterable[RecordFile], Iterable[RecordFile]] | None,
) -> Path:
    """The build proper, under the output directory's lock, in a temporary directory that is
    swapped into place only when complete."""
    events_dir = dataset / "events"
    with build_lock(out):
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=out))
        os.chmod(tmp, 0o755)
        writer = EventWriter(tmp)
        try:
            if validated is None:
                stage("validating")
                event_files, actor_files, written = _validate_and_render(dataset, writer, progress, n_workers)
            else:  # the caller has just validated these files (and must not have found problems)
                (event_files, actor_files), written = validated, False
            validated = None  # hold no reference to the file lists once they are used
            actors = sorted((orjson.loads(rf.path.read_bytes()) for rf in actor_files), key=lambda a: a["id"])
            del actor_files
            stage("writing")
            if not written:
                writer.discard()
                event_paths = _sorted_event_files(event_files, events_dir)
                del event_files
                bar = Progress(len(event_paths), "building", sys.stderr) if progress else Progress(0, "")
                writer = EventWriter(tmp)
                for chunk in _chunks(str(events_dir), event_paths, n_workers):
                    writer.add(chunk)
                    bar.advance(chunk.count)
                bar.close()
                del event_paths
            infos, max_modified, count, withdrawn = writer.close()
            actor_csv = CsvOut(tmp / "actors.csv", actor_header())
            actor_csv.rows([flatten_actor(a) for a in actors])
            infos["actors"] = actor_csv.close()
            infos["event-schema"] = _write_bytes(
                tmp / EVENT_SCHEMA_FILE, (schema_dir() / EVENT_SCHEMA_FILE).read_bytes()
            )
            infos["actor-schema"] = _write_bytes(
                tmp / ACTOR_SCHEMA_FILE, (schema_dir() / ACTOR_SCHEMA_FILE).read_bytes()
            )
            created = _created(meta.get("created"), max_modified)
            infos["citation"] = _write_bytes(
                tmp / CITATION_FILE, citation_cff(meta, meta["version"], created).encode("utf-8")
            )
            counts = {"events": count, "withdrawn": withdrawn, "actors": len(actors)}
            descriptor = _descriptor(meta, created, infos, counts)
            infos["datapackage"] = _write_bytes(tmp / METADATA_FILE, _dumps(descriptor))
            sums = "".join(f"{i.sha256}  {i.name}\n" for i in sorted(infos.values(), key=lambda i: i.name))
            _write_bytes(tmp / SUMS_FILE, sums.encode("utf-8"))
            _fsync_dir(tmp)
            place(tmp, target)
        except BaseException:
            writer.discard()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _created(stored: Any, max_modified: str | None) -> str | None:
    candidates = [s for s in (stored, max_modified) if isinstance(s, str) and s]
    if not candidates:
        return None
    return max(candidates, key=_instant)


# --- reading ----------------------------------------------------------------------------------------


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


def _digest(stream: BinaryIO) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    for block in iter(lambda: stream.read(1 << 20), b""):
        sha.update(block)
        size += len(block)
    return size, sha.hexdigest()


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
        files: list[FileInfo] = []
        for name in sorted(expected):
            size_expected, digest = expected[name]
            if verify:
                with src.open(name) as fh:
                    size, actual = _digest(fh)
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


def package_actors(path: Path) -> list[dict[str, Any]]:
    """The actor records of a package, read back from actors.csv."""
    from openstrikes.package.flatten import unflatten_actor

    src = Source(path)
    try:
        text = src.read("actors.csv").decode("utf-8")
    finally:
        src.close()
    return [unflatten_actor(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


def package_schema(path: Path) -> dict[str, Any]:
    src = Source(path)
    try:
        schema: dict[str, Any] = json.loads(src.read(EVENT_SCHEMA_FILE))
        return schema
    finally:
        src.close()


# --- deterministic zip ------------------------------------------------------------------------------

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_zip(package_dir: Path, target: Path) -> Path:
    """Zip a package directory deterministically (sorted names, fixed times and modes), atomically."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp-zip", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for file in sorted(p for p in package_dir.iterdir() if p.is_file()):
                info = zipfile.ZipInfo(f"{package_dir.name}/{file.name}", date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                info.create_system = 3
                with file.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
