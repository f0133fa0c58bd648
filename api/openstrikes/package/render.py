"""Rendering runs of events into the bytes of every per-event package file (in worker processes
for large builds), and the hashing file writers."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from openstrikes.geo import geojson_feature
from openstrikes.lifetime import die_with_parent
from openstrikes.package.flatten import flatten_event, roundtrip_row
from openstrikes.package.metadata import FileInfo
from openstrikes.package.table_schema import tables
from openstrikes.timefmt import sortable_utc
from openstrikes.toolchain.records import RecordFile

CHUNK_EVENTS = 1000  # events rendered and written together
PARALLEL_THRESHOLD = 5000  # fewer events than this are rendered in-process


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


def sorted_event_files(files: Iterable[RecordFile], base: Path) -> list[str]:
    """Event file paths relative to `base` (short strings: a million of them stay small), in id
    order: a valid event's id is its file name."""
    prefix = os.path.abspath(base) + os.sep
    paths = []
    for rf in files:
        full = os.path.abspath(rf.location)
        paths.append(full.removeprefix(prefix) if full.startswith(prefix) else full)
    paths.sort(key=os.path.basename)
    return paths


@dataclass
class Chunk:
    """The rendered bytes of consecutive events, for every per-event file."""

    parts: dict[str, bytes]
    json_items: bytes  # compact records joined by ",\n" (events.json)
    geo_items: bytes  # features joined by ",\n" (events.geojson)
    count: int
    withdrawn: int
    max_modified: tuple[str, str] | None  # (sortable UTC form, as written)


def csv_text(rows: list[list[str]]) -> bytes:
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
    roundtrip: list[list[str]] = []
    compact: list[bytes] = []
    features: list[bytes] = []
    best: tuple[str, str] | None = None
    for event in events:
        line = orjson.dumps(event)
        compact.append(line)
        features.append(geojson_feature(event))
        flat = flatten_event(event)
        events_rows.append(flat.row)
        for table, rows in flat.children.items():
            child_rows[table].extend(rows)
        if flat.meta:
            roundtrip.append(roundtrip_row("events", event["id"], flat.meta))
        withdrawn = event.get("withdrawn")
        changes_rows.append(
            [
                event["id"],
                event["modified"],
                "true" if withdrawn else "false",
                withdrawn["at"] if withdrawn else "",
            ]
        )
        key = sortable_utc(event["modified"])
        if best is None or key > best[0]:
            best = (key, event["modified"])
    parts = {
        "events": csv_text(events_rows),
        "changes": csv_text(changes_rows),
        "roundtrip": csv_text(roundtrip),
    }
    for table, rows in child_rows.items():
        parts[table] = csv_text(rows)
    parts["events-ndjson"] = b"".join(c + b"\n" for c in compact)
    withdrawn_count = sum(1 for row in changes_rows if row[2] == "true")
    return Chunk(parts, b",\n".join(compact), b",\n".join(features), len(events), withdrawn_count, best)


def chunks(base: str, event_paths: list[str], workers: int) -> Iterator[Chunk]:
    """Rendered chunks in order; with workers > 1, a bounded number run ahead in a process pool."""
    batches = (event_paths[i : i + CHUNK_EVENTS] for i in range(0, len(event_paths), CHUNK_EVENTS))
    if workers <= 1 or len(event_paths) < PARALLEL_THRESHOLD:
        for batch in batches:
            yield render_chunk(base, batch)
        return
    ctx = get_context("fork" if hasattr(os, "fork") else "spawn")
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        pending: deque[Future[Chunk]] = deque()
        for batch in batches:
            pending.append(pool.submit(render_chunk, base, batch))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def write_bytes(path: Path, data: bytes) -> FileInfo:
    out = HashingFile(path)
    out.write(data)
    return out.close()
