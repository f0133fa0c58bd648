"""Build the versioned Frictionless data package from the event files, and read one back.

`build_package(dataset, out)` validates the dataset (an invalid one is refused) and streams
every event, in id order, into all the text files at the same time, hashing them as they are
written. Each file is read once: the validator's workers render the runs of events they have
just checked. Memory holds a few runs of events at a time plus the actor registry. The Parquet
files of the per-event tables and of events_flat are typed from their text files, in a process
of its own (`parquet_job`), while the build writes events_flat and the registries. The package goes to
a hidden temporary directory beside the target, is fsynced and then swapped into place, so a
build killed at any moment leaves the previous build intact and no partial directory visible.
Nothing in it depends on the clock: `created` is the latest `modified` of the events (or the
release date in dataset/datapackage.json, when later), rows are sorted, JSON keys are ordered.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson

from openstrikes.package.descriptor import created_stamp, dumps_json, package_descriptor
from openstrikes.package.flat_file import write_flat
from openstrikes.package.flatten import (
    Meta,
    actor_header,
    flatten_actor,
    flatten_place,
    place_header,
    roundtrip_row,
)
from openstrikes.package.lock import LOCK_FILE
from openstrikes.package.metadata import (
    CITATION_FILE,
    METADATA_FILE,
    SUMS_FILE,
    InvalidDataset,
    PackageError,
    citation_cff,
    load_metadata,
    package_dirname,
)
from openstrikes.package.parquet_job import ParquetJob
from openstrikes.package.parquet_out import write_parquet_table
from openstrikes.package.placement import build_lock, fsync_dir, place
from openstrikes.package.reader import Source
from openstrikes.package.render import CsvOut, chunks, render_events, sorted_event_files, write_bytes
from openstrikes.package.writer import EventWriter
from openstrikes.schema_files import ACTOR_SCHEMA_FILE, EVENT_SCHEMA_FILE, PLACE_SCHEMA_FILE, schema_path
from openstrikes.toolchain.progress import Progress, ProgressBar
from openstrikes.toolchain.records import RecordFile
from openstrikes.toolchain.validate import validate_dataset


def validated_files(
    dataset: Path, progress: bool = False
) -> tuple[Iterable[RecordFile], Iterable[RecordFile]]:
    """Validate the dataset; its event and actor files, or InvalidDataset with every problem."""
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
    on_wait: Callable[[str], None] | None = None,
    validated: tuple[Iterable[RecordFile], Iterable[RecordFile]] | None = None,
) -> Path:
    """Validate the dataset and build `out/<name>-<version>/`; return that directory.

    Each event file is read once: the validator's workers render the events they have just
    checked, and the package files are written as the runs come back in id order (when the
    folders do not hold the events in id order, or `validated` is given, the events are read
    again after validation instead).

    `version` and `release_date` override dataset/datapackage.json (used by `release`);
    `workers` processes check and render events in parallel (default: one per core, at most 4);
    `validated` passes the event and actor files of a validation the caller has just run;
    `on_wait(message)` is told when another build holds the output directory's lock.
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
        return _build(dataset, out, target, meta, stage, progress, n_workers, validated, on_wait)
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
    on_wait: Callable[[str], None] | None = None,
) -> Path:
    """The build proper, under the output directory's lock, in a temporary directory that is
    swapped into place only when complete.

    Long because it is the build's steps in order, under one lock and one clean-up."""
    events_dir = dataset / "events"
    with build_lock(out, on_wait):
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=out))
        os.chmod(tmp, 0o755)
        writer = EventWriter(tmp)
        job: ParquetJob | None = None
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
                event_paths = sorted_event_files(event_files, events_dir)
                del event_files
                bar = Progress(len(event_paths), "building", sys.stderr) if progress else Progress(0, "")
                writer = EventWriter(tmp)
                for chunk in chunks(str(events_dir), event_paths, n_workers):
                    writer.add(chunk)
                    bar.advance(chunk.count)
                bar.close()
                del event_paths
            places = _places(dataset)
            actor_rows, actor_meta = _flat([flatten_actor(a) for a in actors], actors, "actors", "id")
            place_rows, place_meta = _flat([flatten_place(p) for p in places], places, "places", "slug")
            infos, max_modified, count, withdrawn = writer.close([*actor_meta, *place_meta])
            job = ParquetJob(tmp)  # the Parquet files of the per-event tables and events_flat
            infos.update(write_flat(tmp / "events.ndjson", tmp, actors))
            job.flat_ready()
            actor_csv = CsvOut(tmp / "actors.csv", actor_header())
            actor_csv.rows(actor_rows)
            infos["actors"] = actor_csv.close()
            place_csv = CsvOut(tmp / "places.csv", place_header())
            place_csv.rows(place_rows)
            infos["places"] = place_csv.close()
            infos.update(write_parquet_table(tmp, "actors", actor_rows))
            infos.update(write_parquet_table(tmp, "places", place_rows))
            infos["place-schema"] = write_bytes(
                tmp / PLACE_SCHEMA_FILE, schema_path(PLACE_SCHEMA_FILE).read_bytes()
            )
            infos["event-schema"] = write_bytes(
                tmp / EVENT_SCHEMA_FILE, schema_path(EVENT_SCHEMA_FILE).read_bytes()
            )
            infos["actor-schema"] = write_bytes(
                tmp / ACTOR_SCHEMA_FILE, schema_path(ACTOR_SCHEMA_FILE).read_bytes()
            )
            infos.update(job.result())
            created = created_stamp(meta.get("created"), max_modified)
            infos["citation"] = write_bytes(
                tmp / CITATION_FILE, citation_cff(meta, meta["version"], created).encode("utf-8")
            )
            counts = {"events": count, "withdrawn": withdrawn, "actors": len(actors), "places": len(places)}
            descriptor = package_descriptor(meta, created, infos, counts)
            infos["datapackage"] = write_bytes(tmp / METADATA_FILE, dumps_json(descriptor))
            sums = "".join(f"{i.sha256}  {i.name}\n" for i in sorted(infos.values(), key=lambda i: i.name))
            write_bytes(tmp / SUMS_FILE, sums.encode("utf-8"))
            fsync_dir(tmp)
            _refuse_to_change_a_release(out, target, tmp)
            place(tmp, target)
        except BaseException:
            if job is not None:
                job.cancel()
            writer.discard()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _refuse_to_change_a_release(out: Path, target: Path, built: Path) -> None:
    """A package whose zip is in `out` is released: replacing it with other bytes is refused."""
    zipped = out / f"{target.name}.zip"
    if not zipped.is_file():
        return
    try:
        src = Source(zipped)
        try:
            released = src.read(SUMS_FILE)
        finally:
            src.close()
    except (PackageError, OSError, zipfile.BadZipFile) as exc:
        raise PackageError(
            f"refusing to overwrite {target}: its release {zipped} is unreadable ({exc})"
        ) from None
    if released != (built / SUMS_FILE).read_bytes():
        raise PackageError(
            f"refusing to overwrite {target}: that version is released ({zipped}) and a released "
            "version's bytes never change; `openstrikes build` names unreleased changes X.Y.Z+dev, "
            "`openstrikes release` makes a new version"
        )


def _flat(
    flat: list[tuple[list[str], Meta]], records: list[dict[str, Any]], table: str, key: str
) -> tuple[list[list[str]], list[list[str]]]:
    """A registry's rows and its roundtrip.csv rows (for the records that need one)."""
    meta = [roundtrip_row(table, rec[key], m) for rec, (_row, m) in zip(records, flat, strict=True) if m]
    return [row for row, _m in flat], meta


def _places(dataset: Path) -> list[dict[str, Any]]:
    """The validated places registry, by slug (none for a dataset without one)."""
    folder = dataset / "places"
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return sorted((orjson.loads(p.read_bytes()) for p in paths), key=lambda p: p["slug"])
