"""`openstrikes migrate [--places] [--check]`: bring every event record to the current schema.

Every event file is read first; if one cannot be read, nothing is written. Places are written
before the events that point to them, each file atomically, so an interrupted run leaves valid
files and a second run finishes the work (both steps are idempotent)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS
from openstrikes.paths import dataset_dir
from openstrikes.problems import Problem, format_human
from openstrikes.toolchain.files import read_json_file
from openstrikes.toolchain.migrate import TARGET_VERSION, migrate_event, plan_places, point_to_place
from openstrikes.toolchain.places import load_places, places_dir
from openstrikes.toolchain.records import canonical, discover, utc_now, write_atomic


def cmd_migrate(args: argparse.Namespace) -> int:
    """Rewrite event records to schema 1.1.0; with --places, also create registry entries for
    shared locations and point their events to them; with --check, write nothing."""
    dataset = dataset_dir()
    records: list[tuple[Path, str, bytes, dict[str, Any]]] = []
    unreadable: list[Problem] = []
    for rf in discover(dataset):
        if rf.kind != "event":
            continue
        parsed = read_json_file(rf.path, rf.display)
        if not isinstance(parsed.data, dict):
            unreadable.extend(parsed.problems)
            continue
        records.append((rf.path, rf.display, parsed.raw or b"", migrate_event(parsed.data)))
    if unreadable:
        print(format_human(unreadable, color=sys.stderr.isatty()), file=sys.stderr)
        print("nothing migrated: fix the files above first", file=sys.stderr)
        return EXIT_PROBLEMS
    new_places: list[dict[str, Any]] = []
    if args.places:
        plan = plan_places([data for *_, data in records], load_places(dataset))
        now = args.now or utc_now()
        place_of = {eid: entry.place for entry in plan.entries for eid in entry.event_ids}
        new_places = [entry.place for entry in plan.entries if not entry.reused]
        records = [
            (
                path,
                shown,
                raw,
                point_to_place(data, place_of[data["id"]], now) if data.get("id") in place_of else data,
            )
            for path, shown, raw, data in records
        ]
    writes = [
        (path, shown, text)
        for path, shown, raw, data in records
        if (text := canonical(data, "event")).encode("utf-8") != raw
    ]
    verb = "would rewrite" if args.check else "rewrote"
    for place in new_places:
        target = places_dir(dataset) / f"{place['slug']}.json"
        if not args.check:
            write_atomic(target, canonical(place, "place"))
        print(f"{'would create' if args.check else 'created'} {target}", file=sys.stderr)
    for path, shown, text in writes:
        if not args.check:
            write_atomic(path, text)
        print(f"{verb} {shown}", file=sys.stderr)
    print(
        f"{len(records)} event(s) at schema {TARGET_VERSION}: {len(writes)} {verb}, "
        f"{len(new_places)} place(s) {'to create' if args.check else 'created'}",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS if args.check and (writes or new_places) else EXIT_OK
