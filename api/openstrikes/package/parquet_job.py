"""The Parquet files of the events, their child tables and events_flat, typed from the package's
own text files once they are written.

The build's pass over the events writes events.csv and the child tables' CSV files; this module
reads each back with Arrow's streaming CSV reader (`columnar.csv_batches`: typed by the table's
Arrow schema, the list cells parsed by Arrow's JSON reader) and writes its Parquet forms:
events.parquet, events.geoparquet and the year partitions, and one file per child table. Then,
once the build has written events_flat.csv and its lists (`flat_file.LISTS_FILE`),
events_flat.parquet. So the Parquet files hold exactly what the text files hold, and neither the
pass nor the build's own thread carries any Parquet work.

`ParquetJob` runs that in a process of its own while the build finishes the other files
(events_flat, the registries): the finish is one busy thread, so the job takes the core it
leaves idle. The process is started afresh, not forked from the build (whose heap it would
copy page by page, and whose threads a fork does not carry). In a 1M-event build the job had
written the per-event tables 22.6 s after it started, while the build wrote events_flat.csv
(29.0 s); events_flat.parquet took 4.1 s more. The job runs niced: it takes the CPU the finish
leaves and does not slow the finish's own thread, which fair shares did (three busy threads on
two cores: the finish took 52-57 s instead of 33 s at 1M events).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa

import openstrikes
from openstrikes.lifetime import die_with_parent
from openstrikes.package.columnar import STRING_LIST, csv_batches, json_batches
from openstrikes.package.flat_file import LISTS_FILE
from openstrikes.package.metadata import FileInfo, PackageError
from openstrikes.package.parquet_out import EventsParquet, ParquetOut
from openstrikes.package.parquet_tables import (
    PER_EVENT,
    column_encodings,
    memory_schema,
    parquet_table,
    stored_schema,
)

NICENESS = 10  # the job's priority below the build's (see above)
FLAT_READY = b"events_flat\n"  # the build's word on the job's stdin: its files are written


def write_per_event_parquet(folder: Path) -> dict[str, FileInfo]:
    """The Parquet files of the per-event tables (PER_EVENT) from their CSV files in `folder`;
    their infos by resource name (the year partitions by their path)."""
    infos: dict[str, FileInfo] = {}
    for key in PER_EVENT:
        table = parquet_table(key)
        out: EventsParquet | ParquetOut = (
            EventsParquet(folder)
            if key == "events"
            else ParquetOut(folder / table.path, stored_schema(key), column_encodings(key))
        )
        try:
            for batch in csv_batches(folder / f"{key}.csv", memory_schema(key)):
                out.add(batch)
        except BaseException:
            out.discard()
            raise
        closed = out.close()
        infos.update(closed if isinstance(closed, dict) else {table.resource: closed})
    return infos


def write_flat_parquet(folder: Path) -> dict[str, FileInfo]:
    """events_flat.parquet from events_flat.csv and LISTS_FILE (removed once read); its info."""
    table = parquet_table("events_flat")
    memory = memory_schema(table.key)
    lists = folder / LISTS_FILE
    out = ParquetOut(folder / table.path, stored_schema(table.key), column_encodings(table.key))
    list_schema = pa.schema([f for f in memory if f.type == STRING_LIST])
    try:
        for batch in csv_batches(folder / "events_flat.csv", memory, json_batches(lists, list_schema)):
            out.add(batch)
    except BaseException:
        out.discard()
        raise
    lists.unlink()
    return {table.resource: out.close()}


class ParquetJob:
    """`write_per_event_parquet(folder)`, then on `flat_ready()` `write_flat_parquet(folder)`, in
    a child process: `result()` waits for the files' infos, `cancel()` stops it (the caller removes
    the folder). The child dies with the build."""

    def __init__(self, folder: Path) -> None:
        code_root = str(Path(openstrikes.__file__).resolve().parent.parent)
        path = os.pathsep.join(p for p in (code_root, os.environ.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(folder), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )

    def flat_ready(self) -> None:
        """Tell the job that events_flat.csv and LISTS_FILE are complete."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(FLAT_READY)
            self.process.stdin.flush()
        except BrokenPipeError:  # the job has ended: result() says why
            pass

    def result(self) -> dict[str, FileInfo]:
        """The files' infos (call after `flat_ready`); PackageError when the job failed or was killed."""
        out, err = self.process.communicate()
        if self.process.returncode != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            why = lines[-1] if lines else f"the process ended with exit code {self.process.returncode}"
            raise PackageError(f"writing the Parquet files failed: {why}")
        return {key: FileInfo(*info) for key, info in json.loads(out).items()}

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


def main(argv: list[str]) -> int:
    """The job's process: `<folder> <pid of the build>`; the infos as JSON on stdout."""
    folder, parent = argv
    die_with_parent(int(parent))
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    try:
        infos = write_per_event_parquet(Path(folder))
        if sys.stdin.buffer.readline() != FLAT_READY:
            raise RuntimeError("the build ended before events_flat was written")
        infos.update(write_flat_parquet(Path(folder)))
    except Exception as exc:  # one line for the build to report (no traceback)
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    json.dump({key: [i.name, i.bytes, i.sha256] for key, i in infos.items()}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
