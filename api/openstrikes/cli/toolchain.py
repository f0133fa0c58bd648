"""Handlers of the contributor commands: new and fmt (validate has its own module)."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from openstrikes.cli.codebook import CODEBOOK_FILE, dataset_codebook
from openstrikes.cli.exits import EXIT_OK, EXIT_PROBLEMS, UsageError
from openstrikes.cli.validate import given_paths
from openstrikes.package.stats import END, START, coverage_markdown, load_records, replace_section
from openstrikes.paths import dataset_dir
from openstrikes.problems import Problem, format_human
from openstrikes.schema_files import event_schema
from openstrikes.toolchain.files import read_json_file
from openstrikes.toolchain.places import apply_place, load_places
from openstrikes.toolchain.records import (
    canonical,
    discover,
    event_path,
    new_event_id,
    scaffold_event,
    write_atomic,
)


def _strike_types() -> list[str]:
    return list(event_schema()["properties"]["strike_type"]["enum"])


def cmd_fmt(args: argparse.Namespace) -> int:
    """`openstrikes fmt [--check] [PATHS]`: rewrite files into their canonical bytes; an event
    that names a place gets the place's country, admin names, coordinates and precision; on the
    whole dataset, also the coverage tables of dataset/README.md and CODEBOOK.md."""
    dataset = dataset_dir()
    files = discover(dataset, given_paths(args.paths))
    places = load_places(dataset)
    differing, unreadable = [], []
    for rf in files:
        parsed = read_json_file(rf.path, rf.display)
        if parsed.data is None:
            unreadable.extend(parsed.problems)
            continue
        data = parsed.data
        if rf.kind == "event" and isinstance(data, dict) and type(data.get("place")) is str:
            place = places.get(data["place"])
            if place is not None:  # an unknown place is validate's to report (OS333)
                data = apply_place(data, place)
        try:
            text = canonical(data, rf.kind)
        except (TypeError, ValueError) as exc:
            unreadable.append(Problem(rf.display, "", "OS104", f"cannot format: {exc}", "fix the JSON first"))
            continue
        if parsed.raw == text.encode("utf-8"):
            continue
        differing.append(rf.display)
        if args.check:
            old = (parsed.raw or b"").decode("utf-8", "replace").splitlines(keepends=True)
            sys.stdout.writelines(
                difflib.unified_diff(
                    old, text.splitlines(keepends=True), rf.display, rf.display + " (formatted)"
                )
            )
        else:
            write_atomic(rf.path, text)
    if not args.paths and not unreadable and _coverage_tables(dataset, write=not args.check):
        differing.append("dataset/README.md (coverage tables)")
    if not args.paths and not unreadable and _codebook(dataset, write=not args.check):
        differing.append(CODEBOOK_FILE)
    if unreadable:
        print(format_human(unreadable, color=sys.stderr.isatty()), file=sys.stderr)
    verb = "would reformat" if args.check else "reformatted"
    for name in differing:
        print(f"{verb} {name}", file=sys.stderr)
    print(f"{len(files)} file(s): {len(differing)} {verb}, {len(unreadable)} not parseable", file=sys.stderr)
    if unreadable or (args.check and differing):
        return EXIT_PROBLEMS
    return EXIT_OK


def _coverage_tables(dataset: Path, *, write: bool) -> bool:
    """Whether the coverage tables in dataset/README.md differ from the dataset's (then written
    if `write`). A README without the coverage markers has none to keep."""
    readme = dataset / "README.md"
    if not readme.is_file():
        return False
    current = readme.read_text(encoding="utf-8")
    if START not in current or END not in current:
        return False
    updated = replace_section(current, coverage_markdown(*load_records(dataset)))
    if updated == current:
        return False
    if write:
        write_atomic(readme, updated)
    return True


def _codebook(dataset: Path, *, write: bool) -> bool:
    """Whether CODEBOOK.md beside the dataset differs from the one the schemas and the dataset
    make (then written if `write`). A checkout without CODEBOOK.md has none to keep."""
    path = dataset.parent / CODEBOOK_FILE
    if not path.is_file():
        return False
    text = dataset_codebook()
    if path.read_text(encoding="utf-8") == text:
        return False
    if write:
        write_atomic(path, text)
    return True


def _place(slug: str) -> dict[str, Any]:
    """The registry entry `--place` names (a usage error, with the closest slugs, if none)."""
    places = load_places(dataset_dir())
    if slug not in places:
        close = difflib.get_close_matches(slug, sorted(places), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else " (see dataset/places/)"
        raise UsageError(f"--place {slug!r} is not in the places registry{hint}")
    return places[slug]


def _water_body(value: str | None, country: str | None, place: dict[str, Any] | None) -> str | None:
    """The body of water `--water-body` names (a usage error unless it is one of the schema's)."""
    if value is None:
        return None
    options = [v for v in event_schema()["properties"]["water_body"]["enum"] if v is not None]
    if value not in options:
        raise UsageError(f"--water-body {value!r} is not one of {', '.join(options)}")
    if country:
        raise UsageError("--country and --water-body exclude each other: an event at sea has no country")
    if place is not None and place.get("water_body") != value:
        raise UsageError(f"--water-body {value} differs from the place's ({place.get('water_body')})")
    return value


def _ask(prompt: str, interactive: bool, flag: str) -> str:
    if not interactive:
        raise UsageError(f"{flag} is required (or run in a terminal to be asked)")
    try:
        return input(f"{prompt}: ").strip()
    except EOFError as exc:
        raise UsageError(f"{flag} is required") from exc


def cmd_new(args: argparse.Namespace) -> int:
    """`openstrikes new`: scaffold an event with a fresh id, from flags or prompts."""
    interactive = sys.stdin.isatty() and not args.no_input
    raw_date = args.date or _ask("Local date of the strike (YYYY-MM-DD)", interactive, "--date")
    try:
        day = date.fromisoformat(raw_date)
    except ValueError as exc:
        raise UsageError(f"--date {raw_date!r} is not a date in YYYY-MM-DD form") from exc
    if day > date.today():
        raise UsageError(f"--date {day} is in the future")
    place = _place(args.place) if args.place else None
    water = _water_body(args.water_body, args.country, place)
    if args.country or (place is None and water is None):
        country = (
            args.country or _ask("Country (ISO 3166-1 alpha-2, e.g. SY)", interactive, "--country")
        ).upper()
    else:  # from the place, or none at sea
        country = place.get("country") if place is not None else None
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise UsageError(f"--country {country!r} is not a two-letter ISO 3166-1 code")
    if place is not None and country != place.get("country"):
        raise UsageError(f"--country {country} differs from place {args.place!r} ({place.get('country')})")
    strike_types = _strike_types()
    strike_type = args.strike_type or (
        _ask(f"Strike type ({', '.join(strike_types)})", interactive, "--strike-type")
        if interactive
        else "unknown"
    )
    if strike_type not in strike_types:
        raise UsageError(f"--strike-type {strike_type!r} is not one of {', '.join(strike_types)}")
    dataset = dataset_dir()
    taken = {p.stem for p in (dataset / "events").glob("*/*.json")}
    event_id = new_event_id(day.year, taken)
    record = scaffold_event(
        event_id,
        date_start=day,
        country=country,
        strike_type=strike_type,
        attacker=args.attacker,
        location=args.location,
        source_url=args.source_url,
        place=place,
    )
    if water is not None and place is None:  # at sea, only the body of water known yet
        record.update(water_body=water, geo_precision="water_body")
    path = event_path(dataset, event_id, day.isoformat())
    write_atomic(path, canonical(record, "event"))
    print(path)
    print(
        f"Fill in the summary, sources, place and actors, then run `openstrikes validate {path}`.",
        file=sys.stderr,
    )
    return EXIT_OK
