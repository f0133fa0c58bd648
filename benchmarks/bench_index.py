"""Benchmark: memory and time of the validator's dataset-wide index (`crosscheck.DatasetIndex`).

`openstrikes validate` and `openstrikes build` keep one index of every record's facts in the
main process (duplicate ids, references, aliases, places, likely duplicates, same ship on the
same day). This script reads the facts of every record of an existing dataset (in a process
pool, untimed), then, in this process:

  1. builds the index as validation does (actors, places, then events, each folder's facts
     unpickled just before, as they arrive from a worker) and reports the growth of the
     resident set and the time taken (unpickling included);
  2. builds it again under tracemalloc and reports the bytes it holds (exact: numpy arrays are
     traced too) and the peak while it answers `problems()`.

    .venv/bin/python benchmarks/bench_index.py --dataset ROOT   (ROOT holds dataset/, e.g. a bench_build workdir's repo)
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy  # noqa: F401  (imported before measuring: validation and the build import it anyway)
import orjson

from openstrikes.toolchain import crosscheck
from openstrikes.toolchain.records import FileTable, discover_table
from openstrikes.toolchain.validate import CHUNK

MIB = 1024 * 1024
_table = FileTable("")


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _facts_of_group(group: int) -> tuple[int, list[bytes]]:
    """The facts of every file of one folder (None for unreadable ones), pickled by runs of
    CHUNK files: the index is fed freshly unpickled facts, a run at a time, as validation's main
    process is, so it owns what it keeps."""
    kind, directory = _table.kinds[group], os.path.join(_table.base, _table.dirs[group])
    found = []
    for name in _table.names(group):
        try:
            with open(os.path.join(directory, name), "rb") as fh:
                found.append(crosscheck.facts_of(orjson.loads(fh.read()), kind))
        except (OSError, orjson.JSONDecodeError):
            found.append(None)
    return group, [
        pickle.dumps(found[i : i + CHUNK], pickle.HIGHEST_PROTOCOL) for i in range(0, len(found), CHUNK)
    ]


def _unpickled(chunks: list[bytes]) -> Iterator[Any]:
    for chunk in chunks:
        yield from pickle.loads(chunk)


def _build(table: FileTable, facts: dict[int, list[bytes]]) -> crosscheck.DatasetIndex:
    """The index, fed as `validate_dataset` feeds it (a group number for files named `<id>.json`)."""
    index = crosscheck.DatasetIndex(table.display)
    for group in range(table.groups):
        for name, fact in zip(table.names(group), _unpickled(facts[group]), strict=True):
            if type(fact) is crosscheck.EventFacts:
                named_after = name == fact.id + ".json"
                index.add_event(group if named_after else table.display(group, name), fact)
            elif type(fact) is crosscheck.ActorFacts:
                index.add_actor(table.display(group, name), fact)
            elif type(fact) is crosscheck.PlaceFacts:
                index.add_place(table.display(group, name), fact)
    return index


def main() -> int:
    global _table
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, required=True, help="a repository root holding dataset/")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    t0 = time.perf_counter()
    _table = discover_table(args.dataset / "dataset", base=args.dataset)
    with Pool(args.workers) as pool:
        facts = dict(pool.imap_unordered(_facts_of_group, range(_table.groups)))
    events = sum(1 for fs in facts.values() for f in _unpickled(fs) if type(f) is crosscheck.EventFacts)
    print(
        f"read the facts of {len(_table)} files in {time.perf_counter() - t0:.1f} s (untimed)",
        file=sys.stderr,
    )

    gc.collect()
    gc.disable()  # as validation does while it indexes
    rss0 = _rss_mib()
    t1 = time.perf_counter()
    index = _build(_table, facts)
    add_s = time.perf_counter() - t1
    rss1 = _rss_mib()
    t2 = time.perf_counter()
    problems = Counter(p.code for p in index.problems())
    problems_s = time.perf_counter() - t2
    rss2 = _rss_mib()
    del index
    gc.enable()
    gc.collect()

    tracemalloc.start()
    index = _build(_table, facts)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    traced = Counter(p.code for p in index.problems())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert traced == problems

    print(f"\nbench_index: {args.dataset} ({events} events, {len(_table)} files)")
    print(f"index held (tracemalloc)        {held / MIB:8.1f} MiB  ({held / max(events, 1):.0f} B per event)")
    print(f"peak while answering problems() {peak / MIB:8.1f} MiB (tracemalloc, index included)")
    print(f"resident growth: built {rss1 - rss0:8.1f} MiB, after problems() {rss2 - rss0:8.1f} MiB")
    print(f"time: build {add_s:.2f} s, problems() {problems_s:.2f} s")
    print(f"problems: {dict(sorted(problems.items())) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
