"""Validation of record files: file reading, schema, coded meaning checks and dataset-wide checks.

`validate_dataset` checks files without holding their records: each file is reduced to the
compact facts the dataset-wide checks need, so memory stays small at a million events. Large
runs use a process pool (one worker per core). A caller may also have each run of valid event
files rendered where it was read (the package builder does, so a build reads every file once)."""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from openstrikes import geo
from openstrikes.lifetime import die_with_parent
from openstrikes.problems import Problem
from openstrikes.toolchain import crosscheck
from openstrikes.toolchain.checks import Context, per_record_checks
from openstrikes.toolchain.crosscheck import ActorFacts, EventFacts, PlaceFacts
from openstrikes.toolchain.files import read_json_file
from openstrikes.toolchain.jsontext import Parsed, line_of, pointer_lines
from openstrikes.toolchain.readahead import ReadAhead
from openstrikes.toolchain.record_checks import check_record
from openstrikes.toolchain.records import (
    FileTable,
    Kind,
    RecordFile,
    discover_table,
    key_shape,
    kind_of,
    read_record,
    schema_name,
)
from openstrikes.toolchain.schema_check import checker

PARALLEL_THRESHOLD = 2000
# Boundaries loaded before forking; others load in each worker on first use.
WARM_COUNTRIES = ("IQ", "SY", "JO", "IR", "LB", "TR", "SA", "IL", "YE")
CHUNK = 500
AHEAD_PER_WORKER = 3  # tasks in flight per worker process


@dataclass
class ValidationResult:
    """All problems found, and the files that were checked.

    `rendered` is true when a `render` was asked for and every event file went through it, in
    id order, and was handed to `on_rendered`."""

    problems: list[Problem] = field(default_factory=list)
    event_files: FileTable = field(default_factory=lambda: FileTable(""))
    actor_files: FileTable = field(default_factory=lambda: FileTable(""))
    place_files: FileTable = field(default_factory=lambda: FileTable(""))
    rendered: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def files_checked(self) -> int:
        return len(self.event_files) + len(self.actor_files) + len(self.place_files)


# The facts of a file as a plain tuple (`crosscheck.fact_values`), None when it has none.
Facts = tuple[Any, ...] | None


def _locate(parsed: Parsed, problems: list[Problem]) -> list[Problem]:
    text = parsed.text_or_decoded() if problems else None
    if text is None or parsed.data is None:
        return problems
    lines = pointer_lines(text)
    return [p if p.line else _with_line(p, line_of(lines, p.pointer)) for p in problems]


def _with_line(p: Problem, line: int | None) -> Problem:
    return Problem(p.file, p.pointer, p.code, p.message, p.hint, line, p.column)


def _locate_in_files(problems: list[Problem], base: str) -> list[Problem]:
    """Fill in line numbers of dataset-wide problems (re-reads only the files concerned)."""
    by_file: dict[str, list[Problem]] = {}
    for p in problems:
        by_file.setdefault(p.file, []).append(p)
    located: list[Problem] = []
    for name, group in by_file.items():
        rf = RecordFile(name, kind_of(Path(name)), base)
        located.extend(_locate(read_record(rf), group))
    return located


def _year_folder(folder: str, kind: str) -> str | None:
    year = os.path.basename(folder)
    return year if kind == "event" and year.isdigit() else None


def _check_file(
    location: str, display: str, kind: Kind, name: str, ctx: Context, dir_fd: int | None = None
) -> tuple[list[Problem], Facts, Any]:
    """Everything that can be checked from one file alone, its facts for dataset checks, and
    its record. `ctx` carries the clock and the file's folder; its file fields are set here.
    With `dir_fd`, `location` is the file's name in that open directory."""
    parsed = read_json_file(location, display, shape=key_shape(kind), dir_fd=dir_fd)
    problems = parsed.problems
    data = parsed.data
    if data is None:
        return problems, None, None
    ctx.file_stem = name[:-5] if name.endswith(".json") else os.path.splitext(name)[0]
    ctx.raw = parsed.raw if parsed.canonical else None
    problems.extend(check_record(data, kind, display, ctx))
    if not parsed.canonical:
        problems.append(
            Problem(display, "", "OS109", "file is not in canonical format", "run `openstrikes fmt` on it", 1)
        )
    return _locate(parsed, problems) if problems else problems, crosscheck.fact_values(data, kind), data


# A run of files of one directory of the table: (group, start, end).
Task = tuple[int, int, int]
# Renders the records of a run of valid event files (in a worker); what it returns is handed on.
Render = Callable[[list[Any]], Any]
# Facts by offset; problems of the files with any; the rendering of the run, if asked and valid.
Outcome = tuple[list[Facts], dict[int, list[Problem]], Any]

# Set in each worker process by the pool initializer (inherited, not sent, when forked).
_worker_table = FileTable("")
_worker_now = datetime.min.replace(tzinfo=UTC)
_worker_render: Render | None = None
_worker_read_ahead: ReadAhead | None = None


def _init_worker(table: FileTable, now: datetime, render: Render | None, parent: int) -> None:
    global _worker_table, _worker_now, _worker_render, _worker_read_ahead
    die_with_parent(parent)  # a killed build must not leave its workers behind
    _worker_table, _worker_now, _worker_render = table, now, render
    _worker_read_ahead = ReadAhead()
    # Workers make no reference cycles worth collecting; the collector's passes over the
    # inherited heap would also copy its pages.
    gc.disable()


def _process_task(task: Task) -> Outcome:
    return _run_task(_worker_table, task, _worker_now, _worker_render, _worker_read_ahead)


def _run_task(
    table: FileTable,
    task: Task,
    now: datetime,
    render: Render | None = None,
    read_ahead: ReadAhead | None = None,
) -> Outcome:
    group, start, end = task
    facts: list[Facts] = []
    problems: dict[int, list[Problem]] = {}
    shown, kind = table.dirs[group], table.kinds[group]
    directory = os.path.normpath(os.path.join(table.base, shown))
    ctx = Context(now=now, year_dir=_year_folder(shown, kind))
    records: list[Any] | None = [] if render is not None and kind == "event" else None
    names = table.names(group, start, end)
    ahead = read_ahead.around(directory, names) if read_ahead is not None else nullcontext()
    prefix = os.path.join(shown, "")  # displays are built by one concatenation each
    with ahead, _open_directory(directory) as dir_fd:
        for offset, name in enumerate(names):
            location = name if dir_fd is not None else os.path.join(directory, name)
            found, fact, data = _check_file(location, prefix + name, kind, name, ctx, dir_fd)
            facts.append(fact)
            if found:
                problems[offset] = found
                records = None  # this run cannot go into a package
            elif records is not None:
                records.append(data)
    rendered = render(records) if render is not None and records is not None else None
    return facts, problems, rendered


@contextmanager
def _open_directory(path: str) -> Iterator[int | None]:
    """The directory open for lookups relative to it (None where the system cannot, or when it
    cannot be opened: each file then reports its own error)."""
    if os.open not in os.supports_dir_fd:
        yield None
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


def _tasks(table: FileTable) -> list[Task]:
    return [
        (group, start, min(start + CHUNK, table.count(group)))
        for group in range(table.groups)
        for start in range(0, table.count(group), CHUNK)
    ]


def _warm_up() -> None:

    checker(schema_name("event"))
    checker(schema_name("actor"))
    geo.preload(WARM_COUNTRIES)
    checker(schema_name("place"))
    for kind in ("event", "actor", "place"):
        per_record_checks(kind)  # type: ignore[arg-type]
        key_shape(kind)  # type: ignore[arg-type]


def _outcomes(
    table: FileTable, tasks: list[Task], now: datetime, workers: int, render: Render | None
) -> Iterator[Outcome]:
    """The outcome of every task, in order. A few tasks run ahead of the consumer, no more:
    outcomes that may carry rendered bytes must not pile up in memory."""
    if workers <= 1 or len(table) < PARALLEL_THRESHOLD:
        for task in tasks:
            yield _run_task(table, task, now, render)
        return
    _warm_up()  # load boundaries and validators once, before forking, so workers share them
    gc.freeze()  # keep the inherited heap out of the workers' (and our) collections
    context = get_context("fork" if hasattr(os, "fork") else "spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(table, now, render, os.getpid())
    ) as pool:
        pending: deque[Future[Outcome]] = deque()
        for task in tasks:
            pending.append(pool.submit(_process_task, task))
            if len(pending) >= AHEAD_PER_WORKER * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a million small facts would make its passes costly,
    and validation creates no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _named_after(name: str, event_id: str) -> bool:
    """Whether a file name is `<id>.json` (then the index keeps a directory number, not a name)."""
    return len(name) == len(event_id) + 5 and name.startswith(event_id) and name.endswith(".json")


def validate_dataset(
    dataset: Path,
    paths: list[Path] | None = None,
    *,
    now: datetime | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    render: Render | None = None,
    on_rendered: Callable[[Any], None] | None = None,
) -> ValidationResult:
    """Validate the given files (default: the whole dataset) against the schema, the coded
    checks and the rest of the dataset (ids, actors, links, likely duplicates).

    Problems are reported only for the selected files; the rest of the dataset is read for
    context. The result's file tables let a caller (the package builder) re-read the records
    in a streaming way instead of holding them all. `progress(done, total)` is called as files
    are checked.

    With `render` (a picklable function) and the whole dataset, each run of event files is
    rendered from the records just checked, where they were read, and handed to `on_rendered`
    in id order, as long as no problem is found; `result.rendered` says whether every event
    went that way. Nothing is rendered when the folders do not list the events in id order.
    """
    now = now or datetime.now(UTC)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    table, selected, chosen = _file_tables(dataset, paths)
    result = ValidationResult(
        event_files=selected.only("event"),
        actor_files=selected.only("actor"),
        place_files=selected.only("place"),
    )
    index = crosscheck.DatasetIndex(table.display)
    tasks = _tasks(table)
    if render is not None and (paths or on_rendered is None or not _in_id_order(table)):
        render = None
    handed_on = render is not None
    with _collector_paused():
        done = 0
        for (group, start, _), (facts, problems, rendered) in zip(
            tasks, _outcomes(table, tasks, now, workers, render), strict=True
        ):
            for found in problems.values():
                result.problems.extend(p for p in found if chosen is None or p.file in chosen)
            if handed_on and table.kinds[group] == "event":
                if rendered is None or result.problems:
                    handed_on = False  # a problem: the package will not be built
                else:
                    assert on_rendered is not None
                    on_rendered(rendered)
            _add_facts(index, table, group, start, facts)
            if progress is not None:
                done += len(facts)
                progress(done, len(table))
        cross = [p for p in index.problems() if chosen is None or p.file in chosen]
    result.problems.extend(_locate_in_files(cross, table.base))
    result.problems.sort(key=lambda p: (p.file, p.line or 0, p.pointer, p.code))
    result.rendered = handed_on and not result.problems
    return result


def _file_tables(dataset: Path, paths: list[Path] | None) -> tuple[FileTable, FileTable, set[str] | None]:
    """(every file to read, the files selected, their displays when not all are selected)."""
    table = discover_table(dataset)
    if not paths:
        return table, table, None
    selected = discover_table(dataset, paths)
    every = {rf.display: rf for rf in table}
    every.update((rf.display, rf) for rf in selected)
    return FileTable.of(every.values(), table.base), selected, {rf.display for rf in selected}


def _add_facts(
    index: crosscheck.DatasetIndex, table: FileTable, group: int, start: int, facts: list[Facts]
) -> None:
    """Record the facts of a run of files of one folder for the dataset-wide checks."""
    names = table.names(group, start, start + len(facts)) if facts else []
    kind, make = table.kinds[group], tuple.__new__  # a named tuple of the values, unchecked
    for name, values in zip(names, facts, strict=True):
        if values is None:
            continue
        if kind == "event":
            fact = make(EventFacts, values)
            index.add_event(group if _named_after(name, fact.id) else table.display(group, name), fact)
        elif kind == "actor":
            index.add_actor(table.display(group, name), make(ActorFacts, values))
        else:
            index.add_place(table.display(group, name), make(PlaceFacts, values))


def _in_id_order(table: FileTable) -> bool:
    """Whether the event files, folder after folder (names sorted within each), are in the
    order of their names, which is id order for valid events."""
    last = ""
    for group in range(table.groups):
        if table.kinds[group] != "event":
            continue
        count = table.count(group)
        first = table.names(group, 0, 1)[0]
        if first < last:
            return False
        last = table.names(group, count - 1, count)[0]
    return True
